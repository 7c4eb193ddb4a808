"""What pg_dump writes (plain format, as psql replays it) loads, and the cluster treats the result as PostgreSQL would."""
from __future__ import annotations

import pytest

import aurora_lite as al
from aurora_lite.sql.script import run_script

DUMP = """\
SET statement_timeout = 0;
SET lock_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET client_min_messages = warning;
SET default_tablespace = '';
SET default_table_access_method = heap;

CREATE TABLE public.users (
    id integer NOT NULL,
    email character varying(255) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.users OWNER TO postgres;

CREATE SEQUENCE public.users_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER TABLE public.users_id_seq OWNER TO postgres;
ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;
ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);

INSERT INTO public.users (id, email, created_at) VALUES (1, 'a@x', '2024-01-01 00:00:00+00');
INSERT INTO public.users (id, email, created_at) VALUES (2, 'b@x', '2024-01-02 00:00:00+00');
SELECT pg_catalog.setval('public.users_id_seq', 2, true);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_email_key UNIQUE (email);
CREATE INDEX users_created_idx ON public.users USING btree (created_at);
"""


@pytest.fixture
def cluster():
    with al.Cluster("aurora-postgresql", replicas=1) as c:
        run_script(c.connect(autocommit=True), DUMP)
        yield c


def test_the_dump_loads_with_its_keys_and_index(cluster):
    cursor = cluster.connect(autocommit=True).cursor()
    cursor.execute("SELECT id, email FROM users ORDER BY id")
    assert cursor.fetchall() == [(1, "a@x"), (2, "b@x")]
    with pytest.raises(al.errors.UniqueViolation):
        cursor.execute("INSERT INTO users (id, email) VALUES (1, 'other@x')")
    with pytest.raises(al.errors.UniqueViolation):
        cursor.execute("INSERT INTO users (email) VALUES ('a@x')")
    cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'users' ORDER BY 1")
    assert ("users_created_idx",) in cursor.fetchall()


def test_the_dumped_sequence_feeds_the_key_also_after_failover(cluster):
    cursor = cluster.connect(autocommit=True).cursor()
    cursor.execute("INSERT INTO users (email) VALUES ('c@x') RETURNING id")
    assert cursor.fetchall() == [(3,)]
    cluster.wait_for_replicas()
    cluster.failover()  # the new writer continues the sequence the column's default draws from
    cursor = cluster.connect(autocommit=True).cursor()
    cursor.execute("INSERT INTO users (email) VALUES ('d@x') RETURNING id")
    assert cursor.fetchall() == [(4,)]


def test_ownership_statements_change_nothing_and_a_reader_refuses_them(cluster):
    writer = cluster.connect(autocommit=True).cursor()
    writer.execute("ALTER TABLE public.users OWNER TO someone")
    cluster.wait_for_replicas()
    with pytest.raises(al.InternalError) as info:
        cluster.connect("reader", autocommit=True).cursor().execute("ALTER TABLE public.users OWNER TO someone")
    assert info.value.sqlstate == "25006"


COPY_DUMP = """\
CREATE TABLE public.notes (
    id integer NOT NULL,
    body text,
    at timestamp with time zone
);
COPY public.notes (id, body, at) FROM stdin;
1\tplain\t2024-01-01 00:00:00+00
2\t\\N\t\\N
3\ttab\\there, backslash \\\\ and \\x41\t2024-01-03 12:00:00+00
\\.


ALTER TABLE ONLY public.notes
    ADD CONSTRAINT notes_pkey PRIMARY KEY (id);
"""


def test_copy_from_stdin_blocks_load_as_psql_sends_them():
    # pg_dump's default data format: COPY ... FROM stdin, tab-separated, \\N for NULL, backslash escapes.
    with al.Cluster("aurora-postgresql") as cluster:
        connection = cluster.connect(autocommit=True)
        assert run_script(connection, COPY_DUMP) == 3
        cursor = connection.cursor()
        cursor.execute("SELECT id, body, at IS NULL FROM notes ORDER BY id")
        assert cursor.fetchall() == [(1, "plain", False), (2, None, True),
                                     (3, "tab\there, backslash \\ and A", False)]
        with pytest.raises(al.errors.UniqueViolation):
            cursor.execute("INSERT INTO notes (id) VALUES (1)")


def test_copy_in_another_format_is_refused_clearly():
    with al.Cluster("aurora-postgresql") as cluster:
        connection = cluster.connect(autocommit=True)
        script = "CREATE TABLE t (a int);\nCOPY t (a) FROM stdin WITH (FORMAT csv);\n1\n\\.\n"
        with pytest.raises(Exception) as info:
            run_script(connection, script)
        assert isinstance(info.value.__cause__, al.NotSupportedError)
