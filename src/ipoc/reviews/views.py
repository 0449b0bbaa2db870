"""Pages of the reviews domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
