"""Pages of the notices domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
