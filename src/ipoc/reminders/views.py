"""Pages of the reminders domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
