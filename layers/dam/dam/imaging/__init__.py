"""Imaging: decide a file's real format from its bytes, enforce limits, and make renditions.

Pure library (no AWS). Import the submodules you need: `dam.imaging.sniff` is stdlib-only so the
Register Lambda stays light; `dam.imaging.renditions` pulls Pillow and, lazily, PyAV / pdfium /
pillow-heif / resvg only for the formats that need them.
"""
