-- Prefect's own database lives beside the warehouse in the same server.
CREATE DATABASE prefect OWNER pimh;
