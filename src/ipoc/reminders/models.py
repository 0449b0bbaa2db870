"""Reminders are messages with a deadline: the model lives in the message centre (ipoc.messages)."""

from __future__ import annotations

from ipoc.messages.models import Notification

__all__ = ["Notification"]
