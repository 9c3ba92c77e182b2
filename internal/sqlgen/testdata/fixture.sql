CREATE TYPE mood AS ENUM ('happy', 'sad');

CREATE TABLE author (
  id serial PRIMARY KEY,
  name text NOT NULL,
  info jsonb,
  emails text[],
  mood mood,
  created_at timestamptz,
  big bigint,
  price numeric,
  manager_id int REFERENCES author(id)
);

CREATE TABLE article (
  id serial PRIMARY KEY,
  title text NOT NULL,
  content text,
  author_id int REFERENCES author(id),
  is_published boolean NOT NULL DEFAULT false,
  rating int,
  tags text[]
);

CREATE TABLE comment (
  id serial PRIMARY KEY,
  article_id int REFERENCES article(id),
  commenter_id int REFERENCES author(id),
  body text
);

CREATE TABLE "user" (
  "userId" text PRIMARY KEY,
  "userName" text,
  "lastSeen" timestamp DEFAULT now()
);

CREATE TABLE "Order" (
  "OrderId" int,
  "Line" int,
  qty int NOT NULL CHECK (qty > 0),
  "user" text REFERENCES "user"("userId"),
  PRIMARY KEY ("OrderId", "Line")
);

CREATE TABLE employee (
  id int PRIMARY KEY,
  name text,
  department text,
  salary int
);

CREATE VIEW published_article AS SELECT * FROM article WHERE is_published;

CREATE FUNCTION search_articles(search text) RETURNS SETOF article
  LANGUAGE sql STABLE AS $$ SELECT * FROM article WHERE title ILIKE '%' || search || '%' $$;

CREATE FUNCTION author_label(a author, prefix text DEFAULT '') RETURNS text
  LANGUAGE sql STABLE AS $$ SELECT prefix || a.name || ' #' || a.id $$;

CREATE FUNCTION author_published(a author) RETURNS SETOF article
  LANGUAGE sql STABLE AS $$ SELECT * FROM article WHERE author_id = a.id AND is_published $$;

INSERT INTO author (id, name, info, emails, mood, created_at, big, price, manager_id) VALUES
  (1, 'Ada', '{"age": 36, "tags": ["x", "y"], "address": {"city": "London"}}', '{ada@example.com,"a,b@example.com"}', 'happy', '2020-01-02 03:04:05+00', 9007199254740993, 12.50, NULL),
  (2, 'Brian', '{"age": 50, "bestseller": true}', '{}', 'sad', '2021-06-07 08:09:10+00', 2, NULL, 1),
  (3, 'Cleo', NULL, NULL, NULL, NULL, NULL, 1.25, 1);
SELECT setval('author_id_seq', 3);

INSERT INTO article (id, title, content, author_id, is_published, rating, tags) VALUES
  (1, 'Intro to SQL', 'select things', 1, true, 5, '{sql,db}'),
  (2, 'Graphs', 'edges and nodes', 1, false, 3, '{graph}'),
  (3, 'Lambda', 'functions', 2, true, NULL, '{}'),
  (4, 'SQL Joins', 'lateral', 2, true, 4, '{sql}');
SELECT setval('article_id_seq', 4);

INSERT INTO comment (id, article_id, commenter_id, body) VALUES
  (1, 1, 2, 'Great'), (2, 1, 3, 'Thanks'), (3, 3, 1, 'Nice'), (4, 4, 1, 'Hmm');
SELECT setval('comment_id_seq', 4);

INSERT INTO "user" VALUES ('u1', 'One', '2022-01-01 00:00:00'), ('u"2', 'Two; DROP', '2022-01-02 00:00:00');
INSERT INTO "Order" VALUES (1, 1, 2, 'u1'), (1, 2, 1, 'u1'), (2, 1, 5, 'u"2');

INSERT INTO employee VALUES
  (1, 'Kai', 'Engineering', 2345), (2, 'Zara', 'Services', 1234), (3, 'Lin', 'Engineering', 3000),
  (4, 'Damien', 'Product', 3124), (5, 'Kamila', 'Engineering', 4325), (6, 'Dara', 'Product', 1209),
  (7, 'Rickard', 'Services', 2223);

CREATE FUNCTION is_me(a author, hasura_session json) RETURNS boolean
  LANGUAGE sql STABLE AS $$ SELECT (hasura_session ->> 'x-hasura-user-id')::int = a.id $$;

CREATE SCHEMA "My ""Schema""";
CREATE TABLE "My ""Schema"""."we""ird; table" (
  "co""l" int PRIMARY KEY,
  "select" text,
  "parent" int REFERENCES "My ""Schema"""."we""ird; table"("co""l")
);
INSERT INTO "My ""Schema"""."we""ird; table" VALUES (1, 'one', NULL), (2, 'two''s', 1);
