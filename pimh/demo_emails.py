"""The demo's emails to reporters: its contacts loaded, and its emails written as files.

The demo's reporters are made up, so it never sends an email, whatever PIMH_SMTP_HOST
says: each email it would send is written as an .eml file under the feedback folder
(`<feedback>/emails/<reporter code>/`), to be opened in any mail program.
"""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings
from pimh.terminal import console


def prepare_demo_emails(directory: Path, settings: Settings) -> Settings:
    """Load the demo's contacts list; the settings that write its emails as .eml files."""
    from pimh.cli_contacts import load
    from samples.demo_contacts import demo_contacts, write_contacts
    from samples.third_sector_demo import demo_register

    contacts = write_contacts(directory / "contacts.csv", demo_contacts(demo_register()))
    load(contacts, settings.warehouse_url)
    pickup = f"{str(settings.feedback_url or directory / 'feedback').rstrip('/')}/emails"
    console.print(f"Emails to reporters are written as .eml files in {pickup}/<reporter code>/")
    return settings.model_copy(update={"smtp_host": None, "email_pickup_url": pickup})
