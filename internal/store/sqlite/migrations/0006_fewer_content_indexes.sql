-- Every ingested file inserts into each index of content and file, with
-- random keys; these two served no query well (seven kinds; no lookup by
-- SHA-1), and cost about a fifth of the store's time per file.
DROP INDEX content_kind;
DROP INDEX content_sha1;
