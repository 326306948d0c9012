// KerasAugResample: one uint8 image warped by one 3x3 matrix (output pixel -> input point).
//
// The graph-only data route's per-image resample (resize + leading geometric run) as a
// plain CPU kernel: same conventions as keras_aug.core.warp (pixel centres at i + 0.5,
// bilinear neighbours around the point, the same five fill modes), but no padding buffer,
// no XLA compile, and no capacity limit. Single-threaded per call: tf.data's parallel map
// runs many calls at once. Deterministic and stateless, so thread-safe.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

enum class Fill { kConstant, kNearest, kReflect, kWrap, kMirror };

// Maps an integer index into [0, n) by the fill mode; `inside` says whether it was in the
// image (only "constant" reads the fill value outside). Integer math: exact for any index.
inline int64_t MapIndex(int64_t v, int64_t n, Fill fill, bool* inside) {
  *inside = v >= 0 && v < n;
  if (*inside) return v;
  // A point within one image's width past an edge (all that sane matrices reach) takes
  // the closed form; farther ones the modulo (an integer division: tens of cycles).
  const bool near = v >= -n && v < 2 * n;
  switch (fill) {
    case Fill::kConstant:
    case Fill::kNearest:
      return std::min<int64_t>(std::max<int64_t>(v, 0), n - 1);
    case Fill::kWrap:
      if (near) return v < 0 ? v + n : v - n;
      return ((v % n) + n) % n;
    case Fill::kReflect: {  // d c b a | a b c d | d c b a
      if (near) return v < 0 ? -1 - v : 2 * n - 1 - v;
      const int64_t period = 2 * n, m = ((v % period) + period) % period;
      return m >= n ? period - 1 - m : m;
    }
    case Fill::kMirror: {  // d c b | a b c d | c b a
      if (n == 1) return 0;
      if (v > -n && v < 2 * n - 1) return v < 0 ? -v : 2 * n - 2 - v;
      const int64_t period = 2 * n - 2, m = ((v % period) + period) % period;
      return m >= n ? period - m : m;
    }
  }
  return 0;
}

// floor() as an integer, clamped so absurd matrices (huge or NaN points) stay defined
// behaviour: 2^30 is far outside any image, so every fill mode treats it as outside.
// Written out: without -march (portable builds) std::floor is a library call per value.
inline int64_t FloorIndex(float v) {
  constexpr float kFar = 1073741824.0f;
  if (!(v > -kFar)) return -static_cast<int64_t>(kFar);  // also NaN
  if (v > kFar) return static_cast<int64_t>(kFar);
  const int64_t truncated = static_cast<int64_t>(v);
  return truncated - (static_cast<float>(truncated) > v);
}

// Rounds half to even, as tf.round (std::lrint in the default rounding mode; built with
// -fno-math-errno it is one instruction, not a library call), then clips to [0, 255].
inline uint8_t ToUint8(float v) {
  const long r = std::lrint(v);
  return static_cast<uint8_t>(r < 0 ? 0 : r > 255 ? 255 : r);
}

// uint8 -> float by table: a load instead of a conversion per neighbour value (measured
// about 25% less time per bilinear pixel).
constexpr std::array<float, 256> MakeToFloat() {
  std::array<float, 256> table{};
  for (int i = 0; i < 256; ++i) table[i] = static_cast<float>(i);
  return table;
}
constexpr std::array<float, 256> kToFloat = MakeToFloat();

// The interior blend: `p` the top-left neighbour's C bytes, `q` the one below it; the
// right-hand neighbours follow them. Blends in float32 in the same order as the border
// path and numpy (top, bottom, then down), rounding half to even.
template <int C>
inline void BlendScalar(const uint8_t* p, const uint8_t* q, float fx, float fy, uint8_t* out) {
  for (int c = 0; c < C; ++c) {
    const float top = kToFloat[p[c]] + (kToFloat[p[C + c]] - kToFloat[p[c]]) * fx;
    const float bottom = kToFloat[q[c]] + (kToFloat[q[C + c]] - kToFloat[q[c]]) * fx;
    // A blend of values in [0, 255]: rounds into [0, 255], no clipping needed.
    out[c] = static_cast<uint8_t>(std::lrint(top + (bottom - top) * fy));
  }
}

#if defined(__SSE2__)
// The same blend with one pixel's channels in four float lanes (SSE2, baseline on
// x86-64: no -march needed). Each lane does the scalar blend's float32 operations in
// the same order, and _mm_cvtps_epi32 rounds half to even as std::lrint does, so the
// bytes are bit for bit the scalar path's.
// 8 bytes from `p` (both neighbours of a row, 2C <= 8) as two [C lanes] float vectors.
template <int C>
inline void LoadPair(const uint8_t* p, __m128* left, __m128* right) {
  const __m128i zero = _mm_setzero_si128();
  const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  const __m128i shifted = _mm_srli_epi64(bytes, 8 * C);
  *left = _mm_cvtepi32_ps(_mm_unpacklo_epi16(_mm_unpacklo_epi8(bytes, zero), zero));
  *right = _mm_cvtepi32_ps(_mm_unpacklo_epi16(_mm_unpacklo_epi8(shifted, zero), zero));
}

template <int C>
inline void BlendVector(const uint8_t* p, const uint8_t* q, float fx, float fy, uint8_t* out) {
  __m128 p0, p1, q0, q1;
  LoadPair<C>(p, &p0, &p1);
  LoadPair<C>(q, &q0, &q1);
  const __m128 wx = _mm_set1_ps(fx), wy = _mm_set1_ps(fy);
  const __m128 top = _mm_add_ps(p0, _mm_mul_ps(_mm_sub_ps(p1, p0), wx));
  const __m128 bottom = _mm_add_ps(q0, _mm_mul_ps(_mm_sub_ps(q1, q0), wx));
  const __m128i rounded = _mm_cvtps_epi32(_mm_add_ps(top, _mm_mul_ps(_mm_sub_ps(bottom, top), wy)));
  const __m128i packed = _mm_packus_epi16(_mm_packs_epi32(rounded, rounded), rounded);
  const int32_t word = _mm_cvtsi128_si32(packed);
  std::memcpy(out, &word, C);
}
#endif

struct Warp {
  const uint8_t* in;
  const uint8_t* end;  // in + height * width * channels
  int64_t height, width;
  float m[6];  // the matrix's first two rows
  Fill fill;
  float fill_value;
  float last_x, last_y;  // width - 1, height - 1: a point below both has all four neighbours inside

  // One output pixel: `x`, `y` the input point; channels templated so the loops unroll.
  template <int C>
  void Nearest(float x, float y, uint8_t* out) const {
    if (x >= 0.0f && y >= 0.0f && x < last_x + 1.0f && y < last_y + 1.0f) {  // inside: truncation is floor
      const uint8_t* p = in + (static_cast<int64_t>(y) * width + static_cast<int64_t>(x)) * C;
      for (int c = 0; c < C; ++c) out[c] = p[c];
      return;
    }
    bool x_in, y_in;
    const int64_t xi = MapIndex(FloorIndex(x), width, fill, &x_in);
    const int64_t yi = MapIndex(FloorIndex(y), height, fill, &y_in);
    const uint8_t* p = in + (yi * width + xi) * C;
    const bool outside = fill == Fill::kConstant && !(x_in && y_in);
    for (int c = 0; c < C; ++c) out[c] = outside ? ToUint8(fill_value) : p[c];
  }

  // One output pixel near or past the image's edges: neighbours mapped by the fill mode.
  template <int C>
  void BilinearBorder(float x, float y, uint8_t* out) const {
    const float xs = x - 0.5f, ys = y - 0.5f;
    const int64_t x0 = FloorIndex(xs), y0 = FloorIndex(ys);
    const float fx = xs - static_cast<float>(x0), fy = ys - static_cast<float>(y0);
    float wx[2] = {1.0f - fx, fx}, wy[2] = {1.0f - fy, fy};
    int64_t cols[2], rows[2];
    bool in_x[2], in_y[2];
    for (int k = 0; k < 2; ++k) {
      cols[k] = MapIndex(x0 + k, width, fill, &in_x[k]);
      rows[k] = MapIndex(y0 + k, height, fill, &in_y[k]);
    }
    float outside = 0.0f;
    if (fill == Fill::kConstant) {  // outside neighbours read fill_value: weigh it once
      for (int k = 0; k < 2; ++k) {
        if (!in_x[k]) wx[k] = 0.0f;
        if (!in_y[k]) wy[k] = 0.0f;
      }
      outside = 1.0f - (wx[0] + wx[1]) * (wy[0] + wy[1]);
    }
    const uint8_t* r0 = in + rows[0] * width * C;
    const uint8_t* r1 = in + rows[1] * width * C;
    for (int c = 0; c < C; ++c) {
      const float top = r0[cols[0] * C + c] * wx[0] + r0[cols[1] * C + c] * wx[1];
      const float bottom = r1[cols[0] * C + c] * wx[0] + r1[cols[1] * C + c] * wx[1];
      out[c] = ToUint8(top * wy[0] + bottom * wy[1] + fill_value * outside);
    }
  }

  template <int C>
  void Run(bool bilinear, int64_t out_h, int64_t out_w, uint8_t* out) const {
    if (bilinear) return RunBilinear<C>(out_h, out_w, out);
    for (int64_t i = 0; i < out_h; ++i) {
      const float yc = static_cast<float>(i) + 0.5f;
      for (int64_t j = 0; j < out_w; ++j, out += C) {
        const float xc = static_cast<float>(j) + 0.5f;
        const float x = m[0] * xc + m[1] * yc + m[2];
        const float y = m[3] * xc + m[4] * yc + m[5];
        Nearest<C>(x, y, out);
      }
    }
  }

  // Bilinear, a row in chunks of kChunk pixels: first every point of the chunk, its
  // neighbours and weights (a branch-free loop the compiler vectorizes, four points at a
  // time with SSE2), then each pixel's blend: interior pixels read their four neighbours
  // directly, the rest (a thin band along the image's edges) take the fill-mode path.
  // The points are the per-pixel formula's, operation for operation
  // ((m0 * xc + m1 * yc) + m2, the row's m1 * yc computed once), so the bytes are too.
  template <int C>
  void RunBilinear(int64_t out_h, int64_t out_w, uint8_t* out) const {
    constexpr int kChunk = 64;
    alignas(16) float px[kChunk], py[kChunk], wx[kChunk], wy[kChunk];
    alignas(16) int32_t x0[kChunk], y0[kChunk], interior[kChunk];
    for (int64_t i = 0; i < out_h; ++i) {
      const float yc = static_cast<float>(i) + 0.5f;
      const float row_x = m[1] * yc, row_y = m[4] * yc;
      for (int64_t start = 0; start < out_w; start += kChunk) {
        const int n = static_cast<int>(std::min<int64_t>(kChunk, out_w - start));
        for (int k = 0; k < n; ++k) {
          const float xc = static_cast<float>(static_cast<int32_t>(start) + k) + 0.5f;
          const float x = m[0] * xc + row_x + m[2];
          const float y = m[3] * xc + row_y + m[5];
          const float xs = x - 0.5f, ys = y - 0.5f;
          // `&`, not `&&`: no branch, so the loop vectorizes.
          const bool inside = (xs >= 0.0f) & (ys >= 0.0f) & (xs < last_x) & (ys < last_y);
          // Truncation is floor for points inside; others convert 0 (no undefined cast).
          const float tx = inside ? xs : 0.0f, ty = inside ? ys : 0.0f;
          const int32_t ix = static_cast<int32_t>(tx), iy = static_cast<int32_t>(ty);
          px[k] = x, py[k] = y;
          x0[k] = ix, y0[k] = iy;
          wx[k] = tx - static_cast<float>(ix), wy[k] = ty - static_cast<float>(iy);
          interior[k] = inside;
        }
        for (int k = 0; k < n; ++k, out += C) {
          if (!interior[k]) {
            BilinearBorder<C>(px[k], py[k], out);
            continue;
          }
          const uint8_t* p = in + (static_cast<int64_t>(y0[k]) * width + x0[k]) * C;
          const uint8_t* q = p + width * C;
#if defined(__SSE2__)
          // BlendVector reads 8 bytes from each row: past the image only at its last pixels.
          if (C >= 2 && q + 8 <= end) {
            BlendVector<C>(p, q, wx[k], wy[k], out);
            continue;
          }
#endif
          BlendScalar<C>(p, q, wx[k], wy[k], out);
        }
      }
    }
  }
};

class KerasAugResampleOp : public OpKernel {
 public:
  explicit KerasAugResampleOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    std::string interpolation, fill_mode;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("output_height", &out_h_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("output_width", &out_w_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("interpolation", &interpolation));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("fill_mode", &fill_mode));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("fill_value", &fill_value_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("resize_height", &resize_h_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("resize_width", &resize_w_));
    bilinear_ = interpolation == "bilinear";
    fill_ = fill_mode == "constant" ? Fill::kConstant : fill_mode == "nearest" ? Fill::kNearest
          : fill_mode == "reflect"  ? Fill::kReflect  : fill_mode == "wrap"    ? Fill::kWrap : Fill::kMirror;
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& image = ctx->input(0);
    const Tensor& matrix = ctx->input(1);
    OP_REQUIRES(ctx, image.dims() == 3, errors::InvalidArgument("image must be [height, width, channels]"));
    const int64_t height = image.dim_size(0), width = image.dim_size(1), channels = image.dim_size(2);
    OP_REQUIRES(ctx, height >= 1 && width >= 1, errors::InvalidArgument("image must be at least 1x1"));
    OP_REQUIRES(ctx, channels >= 1 && channels <= 4, errors::InvalidArgument("image must have 1-4 channels"));
    OP_REQUIRES(ctx, matrix.dims() == 2 && matrix.dim_size(0) == 3 && matrix.dim_size(1) == 3,
                errors::InvalidArgument("matrix must be [3, 3]"));
    Tensor* output = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({out_h_, out_w_, channels}), &output));
    float m[6];
    std::copy_n(matrix.flat<float>().data(), 6, m);
    // The resize folded in here rather than by ops around the op (fewer ops per element):
    // the matrix reads points of a resize_height x resize_width image, scaled to this one,
    // with the float32 division and products the graph's fold did (bit for bit the same).
    if (resize_w_ > 0) {
      const float sx = static_cast<float>(width) / static_cast<float>(resize_w_);
      for (int k = 0; k < 3; ++k) m[k] *= sx;
    }
    if (resize_h_ > 0) {
      const float sy = static_cast<float>(height) / static_cast<float>(resize_h_);
      for (int k = 3; k < 6; ++k) m[k] *= sy;
    }
    const uint8_t* pixels = image.flat<uint8_t>().data();
    const Warp warp{pixels, pixels + height * width * channels, height, width, {m[0], m[1], m[2], m[3], m[4], m[5]},
                    fill_, fill_value_, static_cast<float>(width - 1), static_cast<float>(height - 1)};
    uint8_t* out = output->flat<uint8_t>().data();
    switch (channels) {
      case 1: warp.Run<1>(bilinear_, out_h_, out_w_, out); break;
      case 2: warp.Run<2>(bilinear_, out_h_, out_w_, out); break;
      case 3: warp.Run<3>(bilinear_, out_h_, out_w_, out); break;
      default: warp.Run<4>(bilinear_, out_h_, out_w_, out); break;
    }
  }

 private:
  int64_t out_h_ = 0, out_w_ = 0;
  int64_t resize_h_ = 0, resize_w_ = 0;  // 0: the matrix is at the image's size already
  bool bilinear_ = true;
  Fill fill_ = Fill::kConstant;
  float fill_value_ = 0.0f;
};

}  // namespace

REGISTER_OP("KerasAugResample")
    .Input("image: uint8")
    .Input("matrix: float")
    .Output("output: uint8")
    .Attr("output_height: int >= 1")
    .Attr("output_width: int >= 1")
    .Attr("interpolation: {'nearest', 'bilinear'} = 'bilinear'")
    .Attr("fill_mode: {'constant', 'nearest', 'reflect', 'wrap', 'mirror'} = 'constant'")
    .Attr("fill_value: float = 0.0")
    .Attr("resize_height: int >= 0 = 0")
    .Attr("resize_width: int >= 0 = 0")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      tensorflow::shape_inference::ShapeHandle image, matrix;
      TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 3, &image));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 2, &matrix));
      int64_t out_h, out_w;
      TF_RETURN_IF_ERROR(c->GetAttr("output_height", &out_h));
      TF_RETURN_IF_ERROR(c->GetAttr("output_width", &out_w));
      c->set_output(0, c->MakeShape({c->MakeDim(out_h), c->MakeDim(out_w), c->Dim(image, 2)}));
      return absl::OkStatus();
    })
    .Doc("Warps one uint8 image by a 3x3 matrix (output pixel centre -> input point; with resize_height/width "
         "> 0, a point of an image of that size, scaled to this one); see resample_op.cc.");

REGISTER_KERNEL_BUILDER(Name("KerasAugResample").Device(tensorflow::DEVICE_CPU), KerasAugResampleOp);
