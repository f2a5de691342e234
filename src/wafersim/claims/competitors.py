"""Claims about NVIDIA, Huawei and AWS hardware (C20, C22, C24, C25, C27-C30): figures from the catalog."""

from __future__ import annotations
