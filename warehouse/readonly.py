"""Read-only roles on PostgreSQL: SELECT on the downstream views, and nothing else.

A role made here can read SPEC.md's downstream contract views and `lineage`, and no
table: the audit tables hold reporters' names and e-mail addresses (Completed by, Email),
which no view publishes. PostgreSQL runs a view with its owner's rights, so SELECT on the
views alone is enough. The role logs in (dashboards and analysts connect as it), cannot
create anything, and its sessions are read-only by default as well.

Views are dropped and recreated when their definitions change (`warehouse.views.refresh`),
which loses their grants: the roles set up are kept in `readonly_role` and `regrant` gives
them their SELECTs again each time the views are made.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from sqlalchemy import Connection, delete, insert, inspect, text

from warehouse.tables import metadata, readonly_role
from warehouse.views.current import RETURN_VIEWS
from warehouse.views.lineage import lineage

READABLE_VIEWS: Final[tuple[str, ...]] = (*(view.name for view in RETURN_VIEWS), lineage.name)
"""What a read-only role may SELECT: the downstream contract's views and `lineage`."""

# Lower-case, unquoted-style names only: what `psql -U name` and a URL take as typed.
_ROLE_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class ReadOnlyRoleError(ValueError):
    """The role cannot be made read-only here; the message says why, plainly."""


def check_role_name(role: str) -> None:
    if not _ROLE_NAME.fullmatch(role) or role.startswith("pg_"):
        raise ReadOnlyRoleError(
            f"'{role}' cannot be a read-only role's name: use lower-case letters, digits and "
            "underscores (at most 63, not starting with a digit or 'pg_')."
        )


def _quoted(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote_identifier(name)


def _set_password(connection: Connection, role: str, password: str) -> None:
    """The password as libpq hashes it (SCRAM-SHA-256), so the clear text never reaches
    the server, nor its statement log. Sent as the driver's own SQL: the hash holds
    colons, which SQLAlchemy's `text()` would take for parameters."""
    driver = connection.connection.driver_connection
    encrypt = getattr(getattr(driver, "pgconn", None), "encrypt_password", None)
    if encrypt is None:
        raise ReadOnlyRoleError(
            "Setting a password needs the psycopg driver: use a postgresql+psycopg:// URL."
        )
    hashed = bytes(encrypt(password.encode(), role.encode(), b"scram-sha-256")).decode()
    literal = "'" + hashed.replace("'", "''") + "'"
    connection.exec_driver_sql(f"ALTER ROLE {_quoted(connection, role)} PASSWORD {literal}")


def _role_facts(connection: Connection, role: str) -> tuple[bool, bool]:
    """(whether the role exists, whether it may not be made read-only here)."""
    row = connection.execute(
        text(
            "SELECT rolsuper OR rolname = current_user OR rolname = session_user "
            "FROM pg_roles WHERE rolname = :role"
        ),
        {"role": role},
    ).first()
    return row is not None, bool(row and row[0])


def _close_public_create(connection: Connection, schema: str) -> None:
    """Before PostgreSQL 15 every role may create tables in `public`: not a read-only one.

    Revoked from PUBLIC only by the schema's owner (or a superuser), after granting the
    warehouse's own role CREATE explicitly, so migrations keep working."""
    rows = connection.execute(
        text(
            "SELECT has_schema_privilege('public', :schema, 'CREATE'), "
            "pg_has_role(current_user, n.nspowner, 'USAGE') "
            "FROM pg_namespace n WHERE n.nspname = :schema"
        ),
        {"schema": schema},
    ).one()
    public_creates, owner = rows
    if not public_creates:
        return
    if not owner:
        raise ReadOnlyRoleError(
            f"Every role may create tables in the schema {schema}, and only its owner can "
            "stop that: ask them to REVOKE CREATE ON SCHEMA "
            f"{schema} FROM PUBLIC, then run this again."
        )
    quoted = _quoted(connection, schema)
    connection.execute(text(f"GRANT CREATE ON SCHEMA {quoted} TO CURRENT_USER"))
    connection.execute(text(f"REVOKE CREATE ON SCHEMA {quoted} FROM PUBLIC"))


def _grant_views(connection: Connection, role: str) -> None:
    quoted_role = _quoted(connection, role)
    for view in READABLE_VIEWS:
        connection.execute(text(f"GRANT SELECT ON {_quoted(connection, view)} TO {quoted_role}"))


def _tables_readable(connection: Connection, role: str, schema: str) -> list[str]:
    """The warehouse's tables the role could read or write, whatever the reason."""
    names = sorted(metadata.tables)
    rows = connection.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') "
            "AND has_table_privilege(:role, c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE')"
        ),
        {"schema": schema, "role": role},
    )
    found = {row[0] for row in rows}
    return [name for name in names if name in found] + sorted(found - set(names))


def grant_readonly(connection: Connection, role: str, password: str | None) -> bool:
    """Create the role, or bring an existing one back to read-only; True if it was created.

    `password` None leaves an existing role's password as it is (a new role then has
    none, and logs in only where the server trusts it). Runs in the caller's transaction.
    """
    if connection.dialect.name != "postgresql":
        raise ReadOnlyRoleError(
            "Read-only roles are a PostgreSQL feature: a SQLite warehouse is a file, and "
            "whoever can read the file can read all of it. Share a copy, or an export."
        )
    check_role_name(role)
    exists, refused = _role_facts(connection, role)
    if refused:
        raise ReadOnlyRoleError(
            f"The role {role} is a superuser or the warehouse's own role, so it cannot be "
            "made read-only; choose another name."
        )
    quoted = _quoted(connection, role)
    attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    connection.execute(text(f"{'ALTER' if exists else 'CREATE'} ROLE {quoted} {attributes}"))
    if password is not None:
        _set_password(connection, role, password)
    connection.execute(text(f"ALTER ROLE {quoted} SET default_transaction_read_only = on"))
    database = connection.execute(text("SELECT current_database()")).scalar_one()
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    connection.execute(
        text(f"GRANT CONNECT ON DATABASE {_quoted(connection, database)} TO {quoted}")
    )
    _close_public_create(connection, schema)
    quoted_schema = _quoted(connection, schema)
    connection.execute(text(f"GRANT USAGE ON SCHEMA {quoted_schema} TO {quoted}"))
    # Whatever it was given before, and whatever every role was given, on the tables.
    for target in (quoted, "PUBLIC"):
        connection.execute(
            text(f"REVOKE ALL ON ALL TABLES IN SCHEMA {quoted_schema} FROM {target}")
        )
        connection.execute(
            text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {quoted_schema} FROM {target}")
        )
    _grant_views(connection, role)
    leaks = _tables_readable(connection, role, schema)
    if leaks:
        raise ReadOnlyRoleError(
            f"The role {role} could still read or change {', '.join(leaks)} (through a role "
            "it is a member of, perhaps); nothing was changed."
        )
    connection.execute(delete(readonly_role).where(readonly_role.c.role_name == role))
    connection.execute(
        insert(readonly_role).values(role_name=role, granted_at=dt.datetime.now(dt.UTC))
    )
    return not exists


def regrant(connection: Connection) -> None:
    """Give every recorded read-only role its SELECTs on the (just recreated) views.

    A role dropped from the server since is skipped. Before the table exists (a warehouse
    part-way through its migrations) there are no roles to remember.
    """
    if connection.dialect.name != "postgresql" or not inspect(connection).has_table(
        readonly_role.name
    ):
        return
    roles = connection.execute(
        text("SELECT r.role_name FROM readonly_role r JOIN pg_roles p ON p.rolname = r.role_name")
    ).scalars()
    for role in list(roles):
        _grant_views(connection, role)
