"""Matching demands with patents and offers, and offers with demands and enterprises; the staff's decisions.

Ranking: a source's public text (a demand's title, problem, desired effect, keywords, constraints and public
summary; NEVER its confidential detail) goes through the patent search's hybrid ranking (any-of BM25 words,
e5 vectors above the calibrated floor, reciprocal-rank fusion), and ``scoring`` adjusts it for IPC, legal
status and term, price and mode. Every candidate carries short Chinese reasons and a confidence.

Who does what:
- a demand's matches belong to the center handling it (``demand.center_id``): its staff refresh and decide;
- an offer has no handling center, so the staff of any active center whose industry is the offer's may match
  it; each center's proposals are its own (``Match.center_id``) and only it decides them;
- the region admin sees every match (and decides none); a match forwarded to the source's own organisation is
  visible to that organisation's members; bureau officers, experts, other centers, other members and the
  public get 404.
Rejections feed back: a rejected target never comes back for the same source, and a rejection for 领域不符
lowers the source's later patent candidates in the rejected patent's IPC main group (``scoring.FIELD_PENALTY``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.centers.models import ACTIVE_STATUSES, Center
from ipoc.db import utcnow
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.matching import flows, scoring
from ipoc.matching.models import REJECT_REASONS, Match, MatchState
from ipoc.messages import service as messages
from ipoc.orgs.models import Organisation
from ipoc.patents.models import Applicant, IndustryDatabase, Patent, PatentApplicant
from ipoc.search import index_sync
from ipoc.search import service as search_service
from ipoc.search.fusion import fuse
from ipoc.search.query import FUNCTION_WORDS, And, IdSet, Words
from ipoc.search.restriction import database_restriction
from ipoc.search.text import fold
from ipoc.search.vectors import Embedder
from ipoc.transfer.models import Demand, DemandState, Offer, OfferState
from ipoc.workflow import take

DEPTH = 100  # candidates per side before the adjustments re-order them
PATENTS_PER_SOURCE = 10
OFFERS_PER_DEMAND = 5
DEMANDS_PER_OFFER = 10
ORGS_PER_OFFER = 5
COVERAGE_TERMS = 5  # shared content words at which word overlap counts as full
MIN_SHARED_TERMS = 2  # fewer shared words (and no IPC agreement) is no match between two short texts
TEXT_CONFIDENCE = 0.6  # word overlap alone (no ranked patent behind it) never reaches 高
_NUMBER = re.compile(r"[\d.,%]+[a-z]*")


# --- ranking ------------------------------------------------------------------------------------------------


@dataclass
class PatentCandidate:
    patent_id: int
    application_no: str
    title: str
    score: float
    confidence: float
    reasons: list[str]
    relevance: float = 0.0  # the text side alone, in [0, 1]
    ipc_main: str | None = None

    @property
    def confidence_label(self) -> str:
        return scoring.confidence_label(self.confidence)


@dataclass
class Proposal:
    """A candidate of any kind, ready to be stored as a Match."""

    target_kind: str
    target_id: int
    score: float
    confidence: float
    reasons: list[str]

    def __post_init__(self) -> None:
        self.confidence = round(min(max(self.confidence, 0.0), 1.0), 4)
        self.score = round(self.score, 4)


@dataclass
class TextRanking:
    """The hybrid ranking of a text with what is needed to explain it."""

    hits: list  # FusedHit, best first
    terms: list[str]  # the text's content words, longest first
    semantic: bool  # whether the semantic side took part


def content_terms(session: Session, text: str) -> list[str]:
    """The words of a text that say something about the technology (two characters or more), longest first;
    with their dictionary sub-words (钕铁硼永磁体 → 钕铁硼, 永磁), as the lexical side matches them too."""
    segmenter = index_sync.lexical(session).segmenter
    words = [w for w, _, _ in segmenter.spans(text) if len(w) >= 2 and _telling(w)]
    return sorted(dict.fromkeys(words), key=len, reverse=True)


def _telling(word: str) -> bool:
    """Not a function word, not a word of any improvement (scoring.GENERIC_TERMS), not a number."""
    return word not in FUNCTION_WORDS and word not in scoring.GENERIC_TERMS and not _NUMBER.fullmatch(word)


def semantic_ready(session: Session) -> bool:
    """Whether every patent has a vector (else a hybrid ranking would favour the embedded ones)."""
    status = index_sync.status(session)
    return status.patents > 0 and status.embeddings_complete and index_sync.vector_index() is not None


def text_ranking(session: Session, text: str, *, depth: int = DEPTH, semantic: bool | None = None) -> TextRanking:
    """Lexical any-of-words BM25 and, when vectors are complete, the floored semantic side, fused."""
    use_semantic = semantic_ready(session) if semantic is None else semantic
    index = index_sync.lexical(session).index
    found = index.search(Words(text), limit=depth, with_facets=False, with_snippets=False, with_count=False)
    lexical = [(h.patent_id, h.score) for h in found.hits]
    agreeing = {pid for pid, _ in lexical}
    dense = search_service.semantic_hits(text, depth, agreeing) if use_semantic else []
    hits = fuse(lexical, dense, k=depth, strong_lexical=scoring.STRONG_LEXICAL)
    return TextRanking(hits, content_terms(session, text), use_semantic)


def _overlap(shared: list[str]) -> float:
    """Word overlap of two short texts in [0, 1]: longer shared words weigh more (稀土永磁 says more than 磁体)."""
    return min(sum(min(len(w), 4) for w in shared) / (3 * COVERAGE_TERMS), 1.0)


def _matched_terms(terms: list[str], text: str, cap: int = 5) -> list[str]:
    folded = fold(text)
    found: list[str] = []
    for term in terms:
        if term in folded and not any(term in longer for longer in found):
            found.append(term)
    return found[:cap]


def rank_patents_for_text(
    session: Session,
    text: str,
    *,
    limit: int = PATENTS_PER_SOURCE,
    ipc_hints: Iterable[str] = (),
    exclude_patent_ids: Collection[int] = (),
    penalised_groups: Collection[str] = (),
    today: date | None = None,
    ranking: TextRanking | None = None,
) -> list[PatentCandidate]:
    """Patents for a need written as text, best first, each with its score, confidence and reasons."""
    today = today or clock.today()
    ranking = ranking or text_ranking(session, text)
    hints = scoring.ipc_hints("；".join(ipc_hints))
    best = scoring.max_fused(ranking.semantic)
    wanted = [h for h in ranking.hits if int(h.id) not in set(exclude_patent_ids)]
    patents = {p.id: p for p in session.scalars(select(Patent).where(Patent.id.in_([int(h.id) for h in wanted])))}
    out = []
    for hit in wanted:
        patent = patents.get(int(hit.id))
        if patent is None:
            continue
        relevance = min(hit.score / best, 1.0)
        reasons, factor, confidence = [], 1.0, hit.score / scoring.max_fused(True)
        matched = _matched_terms(ranking.terms, f"{patent.title}\n{patent.abstract or ''}")
        if matched:
            reasons.append("命中关键词：" + "、".join(matched))
            if snippet := scoring.passage(patent.abstract or "", matched):
                reasons.append(f"相关段落：{snippet}")
        if hit.semantic_rank:
            reasons.append(f"语义相近（语义排名第{hit.semantic_rank}）")
        codes = scoring.patent_codes(patent.ipc_main, patent.ipc_codes)
        if hints and (shared := scoring.ipc_overlap(hints, codes)):
            factor *= 1 + scoring.IPC_WEIGHT[shared[0]]
            confidence += scoring.IPC_CONFIDENCE
            reasons.append(scoring.ipc_reason(*shared))
        group = scoring.main_group(patent.ipc_main)
        if group and group in penalised_groups:
            factor *= 1 - scoring.FIELD_PENALTY
            reasons.append(f"同一 IPC 主组 {group} 的专利曾因领域不符被否决，已降权")
        legal = scoring.legal_view(patent.status_class, patent.kind, patent.application_date, today)
        reasons += legal.reasons
        factor *= legal.factor
        confidence = min(confidence, 1.0)
        out.append(
            PatentCandidate(
                patent_id=patent.id,
                application_no=patent.application_no,
                title=patent.title,
                score=round(relevance * factor, 4),
                confidence=round(confidence, 4),
                reasons=reasons,
                relevance=relevance,
                ipc_main=patent.ipc_main,
            )
        )
    out.sort(key=lambda c: -c.score)
    return out[:limit]


def demand_text(d: Demand) -> str:
    """The public text of a demand that matching reads: never ``confidential_detail``."""
    parts = (d.title, d.problem, d.desired_effect, d.keywords, d.constraints, d.public_summary)
    return "\n".join(p for p in parts if p)


def offer_text(o: Offer) -> str:
    parts = (o.title, o.problem_solved, o.advantage, o.field, o.products)
    return "\n".join(p for p in parts if p)


def _feedback(session: Session, source: Select) -> tuple[dict[str, set[int]], set[str]]:
    """Decided targets per kind (never proposed again) and the IPC main groups rejected as 领域不符."""
    decided: dict[str, set[int]] = {"patent": set(), "offer": set(), "demand": set(), "org": set()}
    groups: set[str] = set()
    for m in session.scalars(source.where(Match.state != MatchState.PROPOSED)):
        decided[m.target_kind].add(target_id(m))
        if m.state == MatchState.REJECTED and m.reason_code == "field" and m.patent_id:
            patent = session.get(Patent, m.patent_id)
            if patent is not None and (group := scoring.main_group(patent.ipc_main)):
                groups.add(group)
    return decided, groups


def _terms_reasons(
    demand: Demand, offer: Offer, shared_terms: list[str], codes: list[str]
) -> tuple[float, float, list[str]]:
    """(adjustment, IPC factor, reasons) between a demand and an offer: shared words, IPC, price, mode."""
    reasons = ["共同关键词：" + "、".join(shared_terms)] if shared_terms else []
    factor = 1.0
    hints = scoring.ipc_hints(demand.ipc_hints)
    if hints and (shared := scoring.ipc_overlap(hints, codes)):
        factor += scoring.IPC_WEIGHT[shared[0]]
        reasons.append(scoring.ipc_reason(*shared))
    budget, budget_reason = scoring.budget_fit(
        offer.price_min_yuan, offer.price_max_yuan, demand.budget_min_yuan, demand.budget_max_yuan
    )
    mode, mode_reason = scoring.mode_fit(offer.modes, demand.modes)
    reasons += [r for r in (budget_reason, mode_reason) if r]
    reasons.append(f"技术成熟度 {offer.trl} 级")
    return budget + mode, factor, reasons


def _offer_codes(offer: Offer) -> list[str]:
    return [c for p in offer.patents for c in scoring.patent_codes(p.ipc_main, p.ipc_codes)]


def _offers_for_demand(
    session: Session, demand: Demand, ranking: TextRanking, by_patent: dict[int, PatentCandidate], skip: set[int]
) -> list[Proposal]:
    offers = session.scalars(select(Offer).where(Offer.state == OfferState.PUBLISHED, Offer.org_id != demand.org_id))
    out = []
    for offer in offers:
        if offer.id in skip:
            continue
        shared = _matched_terms(ranking.terms, offer_text(offer))
        linked = [by_patent[p.id] for p in offer.patents if p.id in by_patent]
        overlap = _overlap(shared)
        relevance = max([overlap * 0.8] + [c.relevance for c in linked])
        if not linked and len(shared) < MIN_SHARED_TERMS:
            continue
        adjust, factor, reasons = _terms_reasons(demand, offer, shared, _offer_codes(offer))
        for c in linked[:2]:
            reasons.insert(0, f"所含专利与需求相近：{c.title}（{c.application_no}）")
        confidence = max([overlap * TEXT_CONFIDENCE] + [c.confidence for c in linked])
        out.append(Proposal("offer", offer.id, relevance * factor + adjust, confidence, reasons))
    return sorted(out, key=lambda p: -p.score)[:OFFERS_PER_DEMAND]


def demand_proposals(session: Session, demand: Demand, today: date | None = None) -> list[Proposal]:
    """Patents and published offers for a demand, fed back by the decisions already made for it."""
    decided, groups = _feedback(session, select(Match).where(Match.demand_id == demand.id))
    ranking = text_ranking(session, demand_text(demand))
    everything = rank_patents_for_text(
        session,
        "",
        limit=DEPTH,
        ipc_hints=[demand.ipc_hints],
        penalised_groups=groups,
        today=today,
        ranking=ranking,
    )
    by_patent = {c.patent_id: c for c in everything}
    patents = [c for c in everything if c.patent_id not in decided["patent"]][:PATENTS_PER_SOURCE]
    proposals = [Proposal("patent", c.patent_id, c.score, c.confidence, c.reasons) for c in patents]
    return proposals + _offers_for_demand(session, demand, ranking, by_patent, decided["offer"])


def _semantic_ranks(session: Session, offer: Offer, demands: list[Demand]) -> dict[int, tuple[int, float]]:
    """Each demand's rank and cosine similarity to the offer by the e5 vectors, closest first (both texts embedded
    as e5 "query:" texts, the symmetric use); empty while the patent vectors are incomplete, as search does."""
    if not demands or not semantic_ready(session):
        return {}
    embedder = Embedder.shared()
    target = embedder.query(offer_text(offer))
    similarity = {d.id: float(embedder.query(demand_text(d)) @ target) for d in demands}
    order = sorted(similarity, key=lambda demand_id: -similarity[demand_id])
    return {demand_id: (rank, similarity[demand_id]) for rank, demand_id in enumerate(order, start=1)}


def _demands_for_offer(session: Session, offer: Offer, skip: set[int]) -> list[Proposal]:
    """Published demands sharing words (or an IPC hint) with the offer; once vectors exist the word overlap and
    the semantic similarity are fused by rank (search.fusion) as the patent ranking is."""
    terms = content_terms(session, offer_text(offer))
    codes = _offer_codes(offer)
    candidates = []
    for demand in session.scalars(
        select(Demand).where(Demand.state == DemandState.PUBLISHED, Demand.org_id != offer.org_id)
    ):
        if demand.id in skip:
            continue
        shared = _matched_terms(terms, demand_text(demand))
        ipc = scoring.ipc_overlap(scoring.ipc_hints(demand.ipc_hints), codes)
        if len(shared) >= MIN_SHARED_TERMS or ipc:
            candidates.append((demand, shared, ipc))
    dense = _semantic_ranks(session, offer, [demand for demand, _, _ in candidates])
    lexical = sorted(((d.id, _overlap(shared)) for d, shared, _ in candidates), key=lambda hit: -hit[1])
    semantic = sorted(((i, similarity) for i, (_, similarity) in dense.items()), key=lambda hit: -hit[1])
    fused = {hit.id: hit.score for hit in fuse(lexical, semantic, k=len(lexical), strong_lexical=0.0)}
    out = []
    for demand, shared, ipc in candidates:
        adjust, factor, reasons = _terms_reasons(demand, offer, shared, codes)
        if dense:
            relevance = fused[demand.id] / scoring.max_fused(True)
            reasons.insert(1 if shared else 0, f"语义相近（语义排名第{dense[demand.id][0]}）")
            confidence = relevance
        else:
            relevance = _overlap(shared)
            confidence = relevance * TEXT_CONFIDENCE
        confidence += scoring.IPC_CONFIDENCE if ipc else 0.0
        out.append(Proposal("demand", demand.id, relevance * factor + adjust, confidence, reasons))
    return sorted(out, key=lambda p: -p.score)[:DEMANDS_PER_OFFER]


def _in_industry(session: Session, industry_id: int | None, patent_ids: list[int]) -> tuple[set[int], list[str]]:
    """Which of these patents lie in the industry, by its core-domain databases (IPC prefixes, keywords, patents
    added by hand), and the databases' names; every patent and no name where the industry has none defined."""
    databases = session.scalars(select(IndustryDatabase).where(IndustryDatabase.industry_id == industry_id)).all()
    if industry_id is None or not databases:
        return set(patent_ids), []
    index, inside = index_sync.lexical(session).index, set()
    for database in databases:
        node = And((IdSet(tuple(patent_ids)), database_restriction(session, database.id)))
        found = index.search(node, limit=len(patent_ids), with_facets=False, with_snippets=False, with_count=False)
        inside |= {hit.patent_id for hit in found.hits}
    return inside, [d.name for d in databases]


def _enterprises_for_offer(session: Session, offer: Offer, skip: set[int], today: date | None) -> list[Proposal]:
    """Enterprises of the offer's industry whose own patents lie close to it: close patents of the industry's
    core-domain databases (all close patents while the industry has none) whose applicant is linked to the
    organisation, or is spelled exactly as the organisation's registered name (imports link nothing by hand)."""
    candidates = rank_patents_for_text(session, offer_text(offer), limit=DEPTH, today=today)
    inside, databases = _in_industry(session, offer.industry_id, [c.patent_id for c in candidates])
    candidates = [c for c in candidates if c.patent_id in inside]
    if not candidates:
        return []
    rows = session.execute(
        select(PatentApplicant.patent_id, Organisation)
        .join(Applicant, Applicant.id == PatentApplicant.applicant_id)
        .join(  # linked by hand, or an applicant spelled exactly as the registered organisation
            Organisation,
            or_(Organisation.id == Applicant.organisation_id, Organisation.name == Applicant.name),
        )
        .where(
            PatentApplicant.patent_id.in_([c.patent_id for c in candidates]),
            Organisation.type_code == "enterprise",
            Organisation.id != offer.org_id,
        )
    ).all()
    by_org: dict[int, tuple[Organisation, list[PatentCandidate]]] = {}
    by_patent = {c.patent_id: c for c in candidates}
    for patent_id, org in rows:
        close = by_org.setdefault(org.id, (org, []))[1]
        if org.id not in skip and by_patent[patent_id] not in close:
            close.append(by_patent[patent_id])
    out = []
    for org, close in by_org.values():
        if not close:
            continue
        close.sort(key=lambda c: -c.relevance)
        relevance = min(close[0].relevance + 0.1 * (len(close) - 1), 1.0)
        reasons = [f"本企业专利与供给相近：{c.title}（{c.application_no}）" for c in close[:2]]
        if databases:
            reasons.append("相近专利属于本产业专题库（" + "、".join(databases) + "）")
        if len(close) > 2:
            reasons.append(f"相近专利共{len(close)}件")
        out.append(Proposal("org", org.id, relevance, max(c.confidence for c in close), reasons))
    return sorted(out, key=lambda p: -p.score)[:ORGS_PER_OFFER]


def offer_proposals(session: Session, offer: Offer, center_id: int, today: date | None = None) -> list[Proposal]:
    decided, _ = _feedback(session, select(Match).where(Match.offer_id == offer.id, Match.center_id == center_id))
    return _demands_for_offer(session, offer, decided["demand"]) + _enterprises_for_offer(
        session, offer, decided["org"], today
    )


# --- who may see and decide ---------------------------------------------------------------------------------


def _staff_of(p: Principal, center_id: int | None) -> bool:
    return p.is_(Role.CENTER_STAFF) and center_id is not None and p.center_id == center_id


def _demand(session: Session, demand_id: int) -> Demand:
    demand = session.get(Demand, demand_id)
    if demand is None:
        raise NotFound("技术需求不存在")
    return demand


def _source(session: Session, m: Match) -> Demand | Offer:
    """The demand or offer a match was proposed for."""
    if m.demand_id:
        return _demand(session, m.demand_id)
    assert m.offer_id is not None, "a match is proposed for a demand or for an offer"
    return _offer(session, m.offer_id)


def _offer(session: Session, offer_id: int) -> Offer:
    offer = session.get(Offer, offer_id)
    if offer is None or offer.state == OfferState.DRAFT:
        raise NotFound("技术供给不存在")
    return offer


def _matching_center(session: Session, p: Principal, offer: Offer) -> Center | None:
    """The staff's own center when it is active and serves the offer's industry."""
    if not p.is_(Role.CENTER_STAFF) or p.center_id is None:
        return None
    center = session.get(Center, p.center_id)
    if center is None or center.state not in ACTIVE_STATUSES or center.industry_id != offer.industry_id:
        return None
    return center


def _forwarded_to(p: Principal) -> int | None:
    return p.org_id if p.is_(Role.MEMBER) and p.org_id else None


def demand_matches(session: Session, p: Principal, demand_id: int) -> tuple[Demand, list[Match]]:
    """A demand and the matches this caller may see, patents first, best first."""
    demand = _demand(session, demand_id)
    stmt = select(Match).where(Match.demand_id == demand.id)
    if p.is_(Role.REGION_ADMIN) or _staff_of(p, demand.center_id):
        pass
    elif _forwarded_to(p) == demand.org_id:
        stmt = stmt.where(Match.state == MatchState.FORWARDED, Match.forwarded_to_org_id == demand.org_id)
    else:
        raise NotFound("技术需求不存在")
    return demand, _ordered(session, stmt)


def offer_matches(session: Session, p: Principal, offer_id: int) -> tuple[Offer, list[Match]]:
    offer = _offer(session, offer_id)
    stmt = select(Match).where(Match.offer_id == offer.id)
    if p.is_(Role.REGION_ADMIN):
        pass
    elif center := _matching_center(session, p, offer):
        stmt = stmt.where(Match.center_id == center.id)
    elif _forwarded_to(p) == offer.org_id:
        stmt = stmt.where(Match.state == MatchState.FORWARDED, Match.forwarded_to_org_id == offer.org_id)
    else:
        raise NotFound("技术供给不存在")
    return offer, _ordered(session, stmt)


def _ordered(session: Session, stmt: Select) -> list[Match]:
    kinds = {"patent": 0, "offer": 1, "demand": 0, "org": 1}
    rows = list(session.scalars(stmt))
    return sorted(rows, key=lambda m: (kinds.get(m.target_kind, 2), m.rank, m.id))


def get_match(session: Session, p: Principal, match_id: int) -> Match:
    match = session.get(Match, match_id)
    if match is None or not may_view(p, match):
        raise NotFound("匹配记录不存在")
    return match


def may_view_demand_matches(p: Principal, demand: Demand) -> bool:
    """Whether a demand page should link to its matches (the owner's members see the forwarded ones)."""
    return p.is_(Role.REGION_ADMIN) or _staff_of(p, demand.center_id) or _forwarded_to(p) == demand.org_id


def may_view_offer_matches(session: Session, p: Principal, offer: Offer) -> bool:
    if offer.state == OfferState.DRAFT:
        return False
    owner = _forwarded_to(p) == offer.org_id
    return p.is_(Role.REGION_ADMIN) or owner or _matching_center(session, p, offer) is not None


def may_refresh_demand(p: Principal, demand: Demand) -> bool:
    return _staff_of(p, demand.center_id) and demand.state != DemandState.CLOSED


def may_refresh_offer(session: Session, p: Principal, offer: Offer) -> bool:
    return offer.state == OfferState.PUBLISHED and _matching_center(session, p, offer) is not None


def may_view(p: Principal, m: Match) -> bool:
    forwarded = m.state == MatchState.FORWARDED and m.forwarded_to_org_id is not None
    to_them = forwarded and _forwarded_to(p) == m.forwarded_to_org_id
    return p.is_(Role.REGION_ADMIN) or _staff_of(p, m.center_id) or to_them


def may_decide(p: Principal, m: Match) -> bool:
    return _staff_of(p, m.center_id) and m.state in flows.OPEN


def inbox_query(p: Principal) -> Select[Match] | None:
    """The proposed matches a center's staff member has to review, best first; None for anyone else."""
    if not p.is_(Role.CENTER_STAFF) or p.center_id is None:
        return None
    stmt = select(Match).where(Match.center_id == p.center_id, Match.state == MatchState.PROPOSED)
    return stmt.order_by(Match.confidence.desc(), Match.score.desc(), Match.id)


def inbox_matches(session: Session, p: Principal) -> list[Match]:
    query = inbox_query(p)
    return [] if query is None else list(session.scalars(query))


# --- proposing and deciding ---------------------------------------------------------------------------------


def target_id(m: Match) -> int:
    columns = {"patent": m.patent_id, "offer": m.target_offer_id, "demand": m.target_demand_id, "org": m.target_org_id}
    found = columns[m.target_kind]
    assert found is not None, "a match is made with the column of its target kind set"
    return found


_TARGET_COLUMN = {
    "patent": "patent_id",
    "offer": "target_offer_id",
    "demand": "target_demand_id",
    "org": "target_org_id",
}


def _store(session: Session, source: Select, base: dict, proposals: list[Proposal]) -> list[Match]:
    """Replace the source's open proposals by the new ones, keeping every decided match as it is."""
    existing = list(session.scalars(source))
    decided = {(m.target_kind, target_id(m)) for m in existing if m.state != MatchState.PROPOSED}
    open_ = {(m.target_kind, target_id(m)): m for m in existing if m.state == MatchState.PROPOSED}
    kept: set[tuple[str, int]] = set()
    ranks: dict[str, int] = {}
    decided_scores = [(m.target_kind, m.score) for m in existing if m.state != MatchState.PROPOSED]
    for proposal in proposals:
        key = (proposal.target_kind, proposal.target_id)
        if key in decided or key in kept:
            continue
        kept.add(key)
        ranks[proposal.target_kind] = ranks.get(proposal.target_kind, 0) + 1
        match = open_.get(key)
        if match is None:
            match = Match(target_kind=proposal.target_kind, **base, **{_TARGET_COLUMN[proposal.target_kind]: key[1]})
            session.add(match)
        match.score, match.confidence = proposal.score, proposal.confidence
        above = sum(1 for kind, score in decided_scores if kind == proposal.target_kind and score > proposal.score)
        match.rank, match.reasons = ranks[proposal.target_kind] + above, list(proposal.reasons)  # decided keep theirs
    for key, match in open_.items():
        if key not in kept:
            session.delete(match)
    audit.set_reason(session, "刷新匹配结果")
    session.flush()
    return _ordered(session, source)


def propose_for_demand(session: Session, p: Principal, demand_id: int, today: date | None = None) -> list[Match]:
    """Rank patents and offers for the demand and store them as proposals of its handling center."""
    demand = _demand(session, demand_id)
    if not _staff_of(p, demand.center_id):
        if p.is_(Role.REGION_ADMIN):
            raise Forbidden("只有承办该需求的运营中心工作人员可以生成匹配")
        raise NotFound("技术需求不存在")
    if demand.state == DemandState.CLOSED:
        raise Conflict("需求已关闭，不能再生成匹配")
    proposals = demand_proposals(session, demand, today)
    source = select(Match).where(Match.demand_id == demand.id)
    return _store(session, source, {"demand_id": demand.id, "center_id": demand.center_id}, proposals)


def propose_for_offer(session: Session, p: Principal, offer_id: int, today: date | None = None) -> list[Match]:
    """Rank published demands and enterprises for the offer, as proposals of the staff's own center."""
    offer = _offer(session, offer_id)
    center = _matching_center(session, p, offer)
    if center is None:
        if p.is_(Role.REGION_ADMIN):
            raise Forbidden("只有产业相同的运营中心工作人员可以为技术供给生成匹配")
        raise NotFound("技术供给不存在")
    if offer.state != OfferState.PUBLISHED:
        raise Conflict("技术供给未发布或已撤回，不能生成匹配")
    proposals = offer_proposals(session, offer, center.id, today)
    source = select(Match).where(Match.offer_id == offer.id, Match.center_id == center.id)
    return _store(session, source, {"offer_id": offer.id, "center_id": center.id}, proposals)


def parse_reason(reason: str, note: str = "") -> tuple[str | None, str]:
    """(reason code, text) from a reason given as a code ("field"), a label ("领域不符") or free text."""
    reason, note = (reason or "").strip(), (note or "").strip()
    if not reason and not note:
        return None, ""
    for code, label in REJECT_REASONS.items():
        if reason == code or reason.startswith(label):
            rest = reason[len(label) :].lstrip("：: ") if reason.startswith(label) else ""
            detail = "；".join(x for x in (rest, note) if x)
            if code == "other" and not detail:
                return None, ""
            return code, label + (f"：{detail}" if detail else "")
    return "other", "；".join(x for x in (reason, note) if x)


def decide(
    session: Session,
    p: Principal,
    match_id: int,
    action: str,
    reason: str = "",
    forward_to_org_id: int | None = None,
    *,
    note: str = "",
) -> Match:
    """Accept, reject (a reason is required) or forward (to the source's own organisation) a match."""
    match = get_match(session, p, match_id)
    if not _staff_of(p, match.center_id):
        raise Forbidden("只有提出该匹配的运营中心工作人员可以审核")
    if action not in flows.MATCHES.by_action:
        raise InvalidInput(f"未知的操作“{action}”，只能是采纳、否决或转交", field="action")
    flows.MATCHES.check(match, action, owners=None)  # the staff were checked above; 409 once decided
    code, text = parse_reason(reason, note)
    if action == "reject" and code is None:
        raise InvalidInput("否决匹配必须说明理由（选择理由，选“其他”时填写说明）", field="reason")
    if action == "forward":
        owner = _source(session, match).org_id
        if forward_to_org_id not in (None, owner):
            raise InvalidInput("只能转交给该需求或供给的发布单位", field="forward_to_org_id")
        match.forwarded_to_org_id = owner
    decision = {
        "reason_code": code if action == "reject" else None,
        "decision_reason": text,
        "decided_by_id": p.user_id,
        "decided_at": utcnow(),
    }
    take(session, flows.MATCHES, match, action, owners=None, actor=p, reason=text, changes=decision)
    _tell_parties(session, match)
    session.flush()
    return match


def _tell_parties(session: Session, m: Match) -> None:
    """A forwarded match is told to the source's organisation; an accepted one to both parties; a rejected
    one only to an organisation it had been forwarded to (proposals are the center's own work until then)."""
    source = _source(session, m)
    kind = "demands" if m.demand_id else "offers"
    what = f"{source_label(session, m)} 与 {m.kind_label}“{target_view(session, m).label}”的匹配"
    if m.state == MatchState.FORWARDED:
        said, link = f"运营中心向您单位转交了{what}，请查看", f"/{kind}/{source.id}/matches"  # stays open once decided
        messages.tell(session, text=said, link=link, organisations=[source.org_id])
    elif m.state == MatchState.ACCEPTED or m.forwarded_to_org_id is not None:
        said = f"运营中心{m.state_label.removeprefix('已')}了{what}"
        said += f"：{m.decision_reason}" if m.decision_reason else ""
        messages.tell(session, text=said, link=f"/{kind}/{source.id}", organisations=[source.org_id])
    if m.state == MatchState.ACCEPTED and (target := _target_record(session, m)) is not None:
        said = f"运营中心采纳了{what}，将为双方安排对接"
        messages.tell(session, text=said, link=target[1], organisations=[target[0]])


def _target_record(session: Session, m: Match) -> tuple[int, str] | None:
    """(organisation, its own page of the target) for a target that belongs to an organisation."""
    if m.target_kind == "offer" and (offer := session.get(Offer, m.target_offer_id)):
        return offer.org_id, f"/offers/{offer.id}"
    if m.target_kind == "demand" and (demand := session.get(Demand, m.target_demand_id)):
        return demand.org_id, f"/demands/{demand.id}"
    if m.target_kind == "org" and m.target_org_id:
        return m.target_org_id, "/dashboard"
    return None


# --- display ------------------------------------------------------------------------------------------------


@dataclass
class TargetView:
    label: str
    path: str | None
    detail: str = ""


def target_view(session: Session, m: Match) -> TargetView:
    """What a match points at, for pages, the API and exports; a demand target shows public fields only."""
    if m.target_kind == "patent" and (patent := session.get(Patent, m.patent_id)):
        detail = " · ".join(x for x in (patent.kind_label, patent.status_label, patent.ipc_main or "") if x)
        return TargetView(f"{patent.application_no} {patent.title}", f"/patents/{patent.application_no}", detail)
    if m.target_kind == "offer" and (offer := session.get(Offer, m.target_offer_id)):
        return TargetView(offer.title, f"/offers/{offer.id}", f"{offer.org.name} · {offer.price_label}")
    if m.target_kind == "demand" and (demand := session.get(Demand, m.target_demand_id)):
        return TargetView(demand.title, f"/demands/{demand.id}", f"{demand.org.name} · 预算 {demand.budget_label}")
    if m.target_kind == "org" and (org := session.get(Organisation, m.target_org_id)):
        return TargetView(org.name, None, org.type.label if org.type else "")
    return TargetView("（已删除）", None)


def source_label(session: Session, m: Match) -> str:
    if m.demand_id:
        return "需求：" + _demand(session, m.demand_id).title
    offer = session.get(Offer, m.offer_id)
    return "供给：" + (offer.title if offer else "（已删除）")


EXPORT_HEADERS = ["排名", "类型", "匹配对象", "说明", "得分", "置信度", "匹配理由", "状态", "处理意见"]


def export_rows(session: Session, matches: list[Match]) -> list[list[object]]:
    rows = []
    for m in matches:
        view = target_view(session, m)
        rows.append(
            [
                m.rank,
                m.kind_label,
                view.label,
                view.detail,
                m.score,
                f"{m.confidence:.2f}（{m.confidence_label}）",
                "；".join(m.reasons),
                m.state_label,
                m.decision_reason,
            ]
        )
    return rows
