"""Contacts (a match, an event or a walk-in brought two parties together) and the deals that grow out of
them, through intention, negotiation, signed contract and recordal. Amounts are yuan."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ipoc.db import Base, Timestamped


class Contact(Base, Timestamped):
    __tablename__ = "tech_contacts"
    __audited__ = True
    __state_field__ = "status"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), index=True)
    match_id: Mapped[int | None] = mapped_column(ForeignKey("tech_matches.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("tech_events.id"), index=True)
    demand_id: Mapped[int | None] = mapped_column(ForeignKey("tech_demands.id"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("tech_offers.id"), index=True)
    seeker_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    provider_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    contacted_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)


class Deal(Base, Timestamped):
    __tablename__ = "tech_deals"
    __audited__ = True
    __state_field__ = "stage"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("tech_contacts.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(16), default="intention", index=True)
    mode: Mapped[str] = mapped_column(String(24))
    amount_yuan: Mapped[int | None] = mapped_column(Integer)
    signed_on: Mapped[date | None] = mapped_column(Date, index=True)
