"""Routes of the events domain; the rules live in service.py."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
