"""bot/allocator.py: glibc is told to map big buffers and to hand free pages back."""

from __future__ import annotations

import platform

import pytest

from bot import allocator


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt and malloc_trim are glibc's")
def test_glibc_takes_the_fixed_mmap_threshold_and_trims() -> None:
    assert allocator.keep_big_buffers_mapped() is True
    allocator.trim()  # returns nothing; it must not raise

