"""`python -m keras_aug scan DIR`: a class-per-folder tree, checked the way the loader checks it.

The files are the ones `keras_aug.data.from_directory` lists (its own listing: classes
are the sorted sub-folders, files white-listed by extension) and each is judged by the
loader's own header probe (`keras_aug.data.decoding.probe_files`), so "skipped" here
means skipped there, with the same reason. `--full` also decodes every file that passes
the probe (`keras_aug.data.scan_directory(full=True)`, about 20x the probe's cost), which
finds the rare corruption the loader would otherwise meet during the first epoch.

Duplicates are files with the same bytes (SHA-256); only files whose sizes collide
are read in full to hash them.
"""

import collections
import hashlib
import os

from keras_aug.cli import CliError

_CHUNK = 256  # files per probe call: `probe_files` uses its thread pool from 256 files up
_TOP_SIZES = 5


def _not_listed(directory, listed, class_names, follow_links):
    """Files under `directory` that the loader's listing leaves out, with the reason."""
    from keras_aug.data import WHITE_LIST_FORMATS

    listed = set(listed)
    out = []
    for name in sorted(os.listdir(directory)):
        if os.path.isfile(os.path.join(directory, name)):
            out.append((name, "not in a class sub-folder (classes are the sub-folders of DIR)"))
    extensions = ", ".join(WHITE_LIST_FORMATS)
    for class_name in class_names:
        class_dir = os.path.join(directory, class_name)
        for root, dirs, files in sorted(os.walk(class_dir, followlinks=follow_links)):
            for name in sorted(files):
                rel = os.path.relpath(os.path.join(root, name), directory)
                if rel not in listed:
                    out.append((rel, f"extension not one the loader lists ({extensions})"))
    return out


def _digest(path):
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _needs_hash(paths):
    """The paths whose byte size equals another path's (only they can be duplicates)."""
    sizes = {}
    for path in paths:
        try:
            sizes[path] = os.path.getsize(path)
        except OSError:
            sizes[path] = None  # unreadable: the probe reports it
    counts = collections.Counter(s for s in sizes.values() if s is not None)
    return {p for p, s in sizes.items() if s is not None and counts[s] > 1}


def scan_tree(directory, follow_links=False, full=False, progress=False):
    """Checks every file of a class-per-folder tree; returns a JSON-ready report dict.

    Args:
        directory: the root folder (classes are its sub-folders).
        follow_links: follow symlinked sub-folders, as in `from_directory`.
        full: also decode every file that passes the header probe (slower; see above).
        progress: show a `keras.utils.Progbar` (on `sys.stdout`) while probing.

    Returns:
        A dict: "directory", "classes" (per class: name, files, good, skipped), "files",
        "good", "formats", "modes", "sizes", "exif_rotated", "duplicates", "skipped" and
        "not_listed" (files the loader skips or never lists, with the reason).
    """
    from keras_aug.data import listing
    from keras_aug.data import scan_directory
    from keras_aug.data.decoding import probe_files

    if not os.path.isdir(directory):
        raise CliError(f"DIR {directory}: not a directory")
    listed = listing.list_directory(directory, follow_links=follow_links)
    paths = listed.filepaths
    to_hash = _needs_hash(paths)
    bar = None
    if progress and paths:
        import keras

        bar = keras.utils.Progbar(len(paths), unit_name="file")
    probes, digests = [], {}
    for start in range(0, len(paths), _CHUNK):
        chunk = paths[start:start + _CHUNK]
        probes += probe_files(chunk)
        for path in chunk:
            if path in to_hash:
                try:
                    digests[path] = _digest(path)
                except OSError:
                    pass  # the probe has already reported the file as unreadable
        if bar is not None:
            bar.update(len(probes))
    reasons = {p.path: p.reason for p in probes if not p.ok}
    if full:
        for path, reason in scan_directory(directory, follow_links=follow_links, full=True)["bad"]:
            reasons.setdefault(path, reason)
    return _report(directory, listed, probes, reasons, digests, follow_links)


def _report(directory, listed, probes, reasons, digests, follow_links):
    relative = {p.path: f for p, f in zip(probes, listed.filenames)}
    good = [p for p in probes if p.path not in reasons]
    classes = []
    for index, name in enumerate(listed.class_names):
        members = [p for p, label in zip(probes, listed.labels) if label == index]
        skipped = sum(p.path in reasons for p in members)
        classes.append({"name": name, "files": len(members), "good": len(members) - skipped, "skipped": skipped})
    sizes = collections.Counter(p.display_size for p in good)
    by_digest = collections.defaultdict(list)
    for path, digest in digests.items():
        by_digest[digest].append(relative[path])
    duplicates = [
        {"sha256": digest, "files": sorted(files), "classes": sorted({f.split(os.sep)[0] for f in files})}
        for digest, files in sorted(by_digest.items(), key=lambda kv: sorted(kv[1])) if len(files) > 1
    ]
    return {
        "directory": directory,
        "classes": classes,
        "files": len(probes),
        "good": len(good),
        "formats": dict(collections.Counter(p.format for p in good).most_common()),
        "modes": dict(collections.Counter(p.mode for p in good).most_common()),
        "sizes": {
            "distinct": len(sizes),
            "most_common": [{"height": h, "width": w, "count": c} for (h, w), c in sizes.most_common(_TOP_SIZES)],
            "height": [min((h for h, _ in sizes), default=0), max((h for h, _ in sizes), default=0)],
            "width": [min((w for _, w in sizes), default=0), max((w for _, w in sizes), default=0)],
        },
        "exif_rotated": sum(p.orientation != 1 for p in good),
        "duplicates": duplicates,
        "skipped": [{"path": relative[p.path], "reason": reasons[p.path]} for p in probes if p.path in reasons],
        "not_listed": [{"path": path, "reason": reason}
                       for path, reason in _not_listed(directory, listed.filenames, listed.class_names, follow_links)],
    }


def format_report(report):
    """The report as the lines a person reads."""
    lines = [f"{report['directory']}: {len(report['classes'])} classes, {report['files']} image files, "
             f"{report['good']} good, {len(report['skipped'])} skipped by the loader"]
    width = max([len(c["name"]) for c in report["classes"]] + [5])
    lines.append("classes:")
    for c in report["classes"]:
        extra = f" ({c['skipped']} skipped)" if c["skipped"] else ""
        lines.append(f"  {c['name']:<{width}} {c['good']:>7} images{extra}")
    formats = ", ".join(f"{k} {v}" for k, v in report["formats"].items()) or "none"
    modes = ", ".join(f"{k} {v}" for k, v in report["modes"].items()) or "none"
    lines.append(f"formats: {formats}; pixel modes: {modes}")
    s = report["sizes"]
    common = ", ".join(f"{m['height']}x{m['width']} ({m['count']})" for m in s["most_common"]) or "none"
    lines.append(f"sizes (height x width, as shown after EXIF orientation): {s['distinct']} distinct; "
                 f"height {s['height'][0]}-{s['height'][1]}, width {s['width'][0]}-{s['width'][1]}; "
                 f"most common {common}")
    lines.append(f"EXIF-rotated images (the loader turns them upright): {report['exif_rotated']}")
    lines.append(f"duplicates (same bytes): {len(report['duplicates'])} groups")
    for group in report["duplicates"]:
        across = "  <- in different classes" if len(group["classes"]) > 1 else ""
        lines.append(f"  {', '.join(group['files'])}{across}")
    skipped = report["skipped"] + report["not_listed"]
    lines.append(f"files the loader skips: {len(report['skipped'])} bad, {len(report['not_listed'])} never listed")
    for item in skipped:
        lines.append(f"  {item['path']}: {item['reason']}")
    return lines
