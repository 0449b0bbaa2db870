"""Pages of the catalogue domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
