-- The ADO.NET providers of Orleans look their SQL up by key in this table.
CREATE TABLE IF NOT EXISTS orleansquery
(
    querykey  varchar(64)   NOT NULL PRIMARY KEY,
    querytext varchar(8000) NOT NULL
);
