"""[program.codes] in config.toml: how many one-time codes may be asked for and guessed (handlers/code_guard.py)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CodeSettings(BaseModel):
    # Codes sent for one ASN account (or one claim) per hour, whoever asks; beyond it none is sent.
    per_target_per_hour: int = Field(3, ge=1)
    # Codes one chat may ask for per hour, for any NIP or claim.
    per_chat_per_hour: int = Field(3, ge=1)
    # Wrong codes typed for one account (or claim) from all chats together within `wrong_window_hours` before
    # codes for it are locked until an officer unlocks them.
    wrong_before_lock: int = Field(10, ge=1)
    wrong_window_hours: int = Field(24, ge=1)
    # How long the ASN's registered chat may still confirm a new chat that typed the right code.
    confirm_hours: int = Field(24, ge=1)
