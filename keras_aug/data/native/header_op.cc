// KerasAugHeaderFacts: what decoding needs to know of a file, from its bytes, in one op.
//
// The graph-only route's header facts (keras_aug/data/graph_header.py: `facts`) as a plain
// C++ function of the bytes: about 90 small TF ops per image there (0.1 CPU ms in a tf.data
// map), a few microseconds here. Same results for every JPEG and PNG file (tests compare
// the two and the Python probe): the format by signature, the stored size (a JPEG's frame
// header, a PNG's IHDR), the EXIF orientation read exactly as graph_header.jpeg_orientation
// reads it, then the log2 DCT ratio. Files that are neither fail, as there; so does a JPEG
// with no frame header before its first scan (libjpeg's extract_jpeg_shape fails on those
// too; any other broken JPEG fails at decoding, a bad file either way).

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace {

using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::TensorShape;
namespace errors = tensorflow::errors;

// keras_aug.data.decoding.ROUTE_TF_JPEG / ROUTE_TF_PNG (the op's users check they match).
constexpr int32_t kRouteJpeg = 0, kRoutePng = 1;
constexpr int64_t kHeadBytes = 65536;  // graph_header._HEAD_BYTES
constexpr int kIfdEntries = 32;        // graph_header._IFD_ENTRIES

// Byte `i` of `data`, 0 past either end (graph_header._bytes pads with zeros).
inline uint32_t At(absl::string_view data, int64_t i) {
  return i >= 0 && i < static_cast<int64_t>(data.size()) ? static_cast<uint8_t>(data[i]) : 0;
}

// An unsigned number of `count` bytes from `start`, little- or big-endian, wrapping in
// int32 as graph_header._number's int32 sum does.
inline int32_t Number(absl::string_view data, int64_t start, int count, bool little) {
  uint32_t value = 0;
  for (int k = 0; k < count; ++k) {
    const uint32_t byte = At(data, start + k);
    value += byte << (8 * (little ? k : count - 1 - k));
  }
  return static_cast<int32_t>(value);
}

// graph_header._bytes reads from its start clipped to [0, len]: the same clipping here.
inline int64_t Clip(int64_t start, absl::string_view data) {
  return std::min<int64_t>(std::max<int64_t>(start, 0), static_cast<int64_t>(data.size()));
}

// graph_header.jpeg_orientation, step for step (1 when absent or unreadable).
int32_t JpegOrientation(absl::string_view data) {
  const size_t head = std::min<size_t>(data.size(), kHeadBytes);
  static const char kTag[] = {'E', 'x', 'i', 'f', 0, 0};
  const auto found_at = std::search(data.begin(), data.begin() + head, kTag, kTag + 6);
  if (found_at == data.begin() + head) return 1;  // no "Exif\0\0" in the head
  const int64_t tiff = (found_at - data.begin()) + 6;
  const int64_t marker = std::max<int64_t>(tiff - 10, 0);
  if (tiff < 10 || At(data, marker) != 0xFF || At(data, marker + 1) != 0xE1) return 1;
  const int64_t header = Clip(tiff, data);
  const bool little = At(data, header) == 'I';
  const int32_t ifd = static_cast<int32_t>(static_cast<uint32_t>(tiff) +
                                           static_cast<uint32_t>(Number(data, header + 4, 4, little)));
  const int64_t table = Clip(ifd, data);
  const int64_t table_end = table + 2 + 12 * kIfdEntries;  // bytes past it (or the file) read 0
  auto table_byte_number = [&](int64_t offset, int count) {
    uint32_t value = 0;
    for (int k = 0; k < count; ++k) {
      const int64_t i = table + offset + k;
      const uint32_t byte = i < table_end ? At(data, i) : 0;
      value += byte << (8 * (little ? k : count - 1 - k));
    }
    return static_cast<int32_t>(value);
  };
  const int32_t count = table_byte_number(0, 2);
  int32_t value = 0;  // the largest orientation value among matching entries (reduce_max of 0s)
  for (int k = 0; k < kIfdEntries && k < count; ++k) {
    if (table_byte_number(2 + 12 * k, 2) == 0x0112) value = std::max(value, table_byte_number(2 + 12 * k + 8, 2));
  }
  return value >= 1 && value <= 8 ? value : 1;
}

// A JPEG's (height, width) from its frame header (SOF0-SOF15 but DHT, JPG and DAC), read
// up to the first scan as libjpeg's jpeg_read_header does; false when there is none.
bool JpegSize(absl::string_view data, int64_t* height, int64_t* width) {
  const int64_t n = static_cast<int64_t>(data.size());
  int64_t i = 2;  // after SOI
  while (i + 1 < n) {
    if (At(data, i) != 0xFF) {  // stray bytes between segments: libjpeg skips them (a warning)
      ++i;
      continue;
    }
    while (i < n && At(data, i) == 0xFF) ++i;  // fill bytes
    if (i >= n) return false;
    const uint32_t marker = At(data, i++);
    if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;  // no length
    if (marker == 0xD9 || marker == 0xDA) return false;  // EOI or a scan before any frame header
    if (i + 1 >= n) return false;
    const int64_t length = (At(data, i) << 8) | At(data, i + 1);
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      if (length < 8 || i + 6 >= n) return false;
      *height = (At(data, i + 3) << 8) | At(data, i + 4);
      *width = (At(data, i + 5) << 8) | At(data, i + 6);
      return *height > 0 && *width > 0;
    }
    if (length < 2) return false;
    i += length;
  }
  return false;
}

// graph_header.dct_ratio_index: log2 of the largest DCT ratio (1, 2, 4, 8) the target fits in.
int32_t DctRatioIndex(int64_t stored_height, int64_t stored_width, int32_t orientation, int64_t th, int64_t tw,
                      bool keep_aspect_ratio) {
  const bool transposed = orientation >= 5;
  const int64_t height = transposed ? stored_width : stored_height;
  const int64_t width = transposed ? stored_height : stored_width;
  const bool wider = width * th > height * tw;
  auto fits = [&](int64_t r) {
    if (keep_aspect_ratio) return wider ? height >= th * r : width >= tw * r;
    return height >= th * r && width >= tw * r;
  };
  return fits(8) ? 3 : fits(4) ? 2 : fits(2) ? 1 : 0;
}

class KerasAugHeaderFactsOp : public OpKernel {
 public:
  explicit KerasAugHeaderFactsOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("target_height", &th_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("target_width", &tw_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("keep_aspect_ratio", &keep_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("max_pixels", &max_pixels_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& input = ctx->input(0);
    OP_REQUIRES(ctx, input.dims() == 0, errors::InvalidArgument("data must be a scalar string"));
    // A view of the tensor's bytes: no copy of the file.
    const absl::string_view data(input.scalar<tensorflow::tstring>()());
    const bool jpeg = data.size() >= 3 && std::memcmp(data.data(), "\xff\xd8\xff", 3) == 0;
    const bool png = data.size() >= 8 && std::memcmp(data.data(), "\x89PNG\r\n\x1a\n", 8) == 0;
    // The messages name the reason as graph_header's failures do.
    OP_REQUIRES(ctx, jpeg || png, errors::InvalidArgument("bad image file: not a JPEG or PNG file (needs PIL)"));
    int64_t height = 0, width = 0;
    if (jpeg) {
      OP_REQUIRES(ctx, JpegSize(data, &height, &width),
                  errors::InvalidArgument("bad image file: no JPEG frame header before the first scan"));
    } else {  // IHDR: width, then height, 4 big-endian bytes each (int32, as the graph reads them)
      width = Number(data, 16, 4, false);
      height = Number(data, 20, 4, false);
    }
    OP_REQUIRES(ctx, max_pixels_ < 0 || height * width <= max_pixels_,
                errors::InvalidArgument("bad image file: image over the pixel limit (max_pixels=", max_pixels_, ")"));
    const int32_t orientation = jpeg ? JpegOrientation(data) : 1;
    const int32_t ratio_index = jpeg ? DctRatioIndex(height, width, orientation, th_, tw_, keep_) : 0;
    const int32_t values[3] = {jpeg ? kRouteJpeg : kRoutePng, ratio_index, orientation};
    for (int k = 0; k < 3; ++k) {
      Tensor* out = nullptr;
      OP_REQUIRES_OK(ctx, ctx->allocate_output(k, TensorShape({}), &out));
      out->scalar<int32_t>()() = values[k];
    }
  }

 private:
  int64_t th_ = 1, tw_ = 1, max_pixels_ = -1;
  bool keep_ = false;
};

}  // namespace

REGISTER_OP("KerasAugHeaderFacts")
    .Input("data: string")
    .Output("route: int32")
    .Output("ratio_index: int32")
    .Output("orientation: int32")
    .Attr("target_height: int >= 1")
    .Attr("target_width: int >= 1")
    .Attr("keep_aspect_ratio: bool = false")
    .Attr("max_pixels: int = -1")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      for (int k = 0; k < 3; ++k) c->set_output(k, c->Scalar());
      return absl::OkStatus();
    })
    .Doc("(route, log2 DCT ratio, EXIF orientation) of a JPEG or PNG file's bytes; see header_op.cc.");

REGISTER_KERNEL_BUILDER(Name("KerasAugHeaderFacts").Device(tensorflow::DEVICE_CPU), KerasAugHeaderFactsOp);
