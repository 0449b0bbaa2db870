"""Pages of the applications domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
