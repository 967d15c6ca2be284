-- Run once by the postgres image, on its first start with an empty data directory (docker-compose.yml mounts this
-- file into /docker-entrypoint-initdb.d). One database per service; each service creates its tables with Flyway.
CREATE DATABASE orders;
CREATE DATABASE inventory;
