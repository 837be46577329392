-- Time paging now binary-searches seq (send_time never decreases along seq), so
-- this index only cost a B-tree write per message. See docs/benchmarks.md.
DROP INDEX messages_time;
