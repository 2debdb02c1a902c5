"""The pure rules of review sessions and share links: tokens, passwords, expiry, the approval rule."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from dam.domain.identity import Role
from dam.domain.reviews import (
    MAX_LINK_DAYS,
    ApprovalRule,
    Decision,
    Reviewer,
    ShareLink,
    Verdict,
    approval_due,
    client_hash,
    hash_password,
    latest_decisions,
    link_expiry,
    new_token,
    password_matches,
    rate_window,
    rule_for,
    token_hash,
)

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
LEAD, EDITOR, GUEST = Reviewer(user_id="lead"), Reviewer(user_id="editor"), Reviewer(email="dana@client.example")


def _decision(reviewer: Reviewer, verdict: Verdict, role: Role | None = None, minutes: int = 0) -> Decision:
    return Decision(
        review_id="rev-1",
        item="a#v1",
        reviewer=reviewer.key,
        verdict=verdict,
        role=role,
        at=NOW + timedelta(minutes=minutes),
    )


# --- tokens --------------------------------------------------------------------------------------


def test_tokens_carry_at_least_128_random_bits_and_are_url_safe() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 >= 128
        assert token.replace("-", "").replace("_", "").isalnum()


def test_a_token_is_kept_as_its_sha256_and_one_changed_character_is_another_hash() -> None:
    token = new_token()
    assert token_hash(token) == token_hash(token) and len(token_hash(token)) == 64
    assert token not in token_hash(token)
    altered = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert token_hash(altered) != token_hash(token)


# --- passwords -----------------------------------------------------------------------------------


def test_passwords_are_salted_scrypt_hashes_that_only_the_password_matches() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert hash_password("correct horse") != stored  # a fresh salt each time
    assert password_matches(stored, "correct horse")
    for wrong in ("correct hors", "Correct horse", "", None):
        assert not password_matches(stored, wrong)


@pytest.mark.parametrize("stored", ["", "plain", "md5$1$2$3$00$00", "scrypt$x$8$1$00$00", "scrypt$16384$8$1$zz$00"])
def test_a_malformed_stored_password_never_matches(stored: str) -> None:
    assert not password_matches(stored, "anything")


# --- expiry --------------------------------------------------------------------------------------


def test_links_expire_after_the_hours_asked_never_past_the_maximum() -> None:
    assert link_expiry(NOW, None) == NOW + timedelta(hours=72)
    assert link_expiry(NOW, 1) == NOW + timedelta(hours=1)
    assert link_expiry(NOW, 24 * 365) == NOW + timedelta(days=MAX_LINK_DAYS)


def test_a_link_is_usable_until_it_expires_or_is_revoked() -> None:
    link = ShareLink(
        link_id="lnk-1",
        review_id="rev-1",
        workspace_id="ws",
        token_hash=token_hash("t"),
        reviewer_email=GUEST.email or "",
        created_by="maya",
        created_at=NOW,
        expires_at=NOW + timedelta(hours=1),
    )
    assert link.usable_at(NOW) and link.usable_at(NOW + timedelta(minutes=59))
    assert not link.usable_at(NOW + timedelta(hours=1))
    assert not link.model_copy(update={"revoked_at": NOW}).usable_at(NOW)


def test_rate_windows_are_minutes_and_client_hashes_hide_the_address() -> None:
    assert rate_window(NOW) == rate_window(NOW + timedelta(seconds=59))
    assert rate_window(NOW + timedelta(seconds=60)) == rate_window(NOW) + 1
    hashed = client_hash("203.0.113.9", "Browser/1")
    assert "203.0.113.9" not in hashed and hashed != client_hash("203.0.113.9", "Browser/2")


# --- the approval rule ---------------------------------------------------------------------------


def test_any_lead_one_lead_approval_approves_and_a_lead_asking_for_changes_holds_it() -> None:
    reviewers = [LEAD, EDITOR, GUEST]
    rule = ApprovalRule.ANY_LEAD
    assert not approval_due(rule, reviewers, {})
    editor_only = latest_decisions(
        [_decision(EDITOR, Verdict.APPROVED, Role.EDITOR), _decision(GUEST, Verdict.APPROVED)]
    )
    assert not approval_due(rule, reviewers, editor_only)
    lead = latest_decisions([_decision(LEAD, Verdict.APPROVED, Role.SHOOT_LEAD)])
    assert approval_due(rule, reviewers, lead)
    admin = latest_decisions([_decision(EDITOR, Verdict.APPROVED, Role.ADMIN)])  # an admin counts as a lead
    assert approval_due(rule, reviewers, admin)
    later = _decision(LEAD, Verdict.CHANGES_REQUESTED, Role.SHOOT_LEAD, minutes=1)
    changed_mind = latest_decisions([later, _decision(LEAD, Verdict.APPROVED, Role.SHOOT_LEAD)])
    assert not approval_due(rule, reviewers, changed_mind)


def test_all_reviewers_every_invited_reviewer_must_approve() -> None:
    rule = ApprovalRule.ALL_REVIEWERS
    reviewers = [LEAD, GUEST]
    assert not approval_due(rule, [], {})  # nobody invited approves nothing
    one = latest_decisions([_decision(LEAD, Verdict.APPROVED, Role.SHOOT_LEAD)])
    assert not approval_due(rule, reviewers, one)
    both = latest_decisions([_decision(LEAD, Verdict.APPROVED, Role.SHOOT_LEAD), _decision(GUEST, Verdict.APPROVED)])
    assert approval_due(rule, reviewers, both)
    # A decision by someone no longer invited does not count, and one reviewer's changes hold it.
    assert not approval_due(rule, [LEAD, GUEST, EDITOR], both)
    held = latest_decisions([*both.values(), _decision(GUEST, Verdict.CHANGES_REQUESTED, minutes=1)])
    assert not approval_due(rule, reviewers, held)


def test_the_rule_is_the_workspaces_setting_any_lead_by_default() -> None:
    assert rule_for("ws", frozenset()) is ApprovalRule.ANY_LEAD
    assert rule_for("ws", frozenset({"ws"})) is ApprovalRule.ALL_REVIEWERS


def test_reviewer_keys_tell_users_from_emails_and_ignore_email_case() -> None:
    assert LEAD.key == "user:lead"
    assert Reviewer(email="Dana@Client.example").key == GUEST.key == "email:dana@client.example"
