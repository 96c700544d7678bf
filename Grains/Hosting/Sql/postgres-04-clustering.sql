-- Cluster membership (Orleans:Clustering = postgres): silos and portals find each other here, so any silo may
-- start, stop or die in any order. Parameters and result columns are those the Orleans 10.4 ADO.NET
-- membership table passes and reads; the table version is bumped with every membership change
-- (optimistic concurrency: a write that names a stale version changes nothing and answers 0).
CREATE TABLE IF NOT EXISTS orleansmembershipversiontable
(
    deploymentid varchar(150) NOT NULL PRIMARY KEY,
    timestamp    timestamptz  NOT NULL DEFAULT now(),
    version      integer      NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS orleansmembershiptable
(
    deploymentid varchar(150) NOT NULL REFERENCES orleansmembershipversiontable (deploymentid),
    address      varchar(45)  NOT NULL,
    port         integer      NOT NULL,
    generation   integer      NOT NULL,
    siloname     varchar(150) NOT NULL,
    hostname     varchar(150) NOT NULL,
    status       integer      NOT NULL,
    proxyport    integer      NULL,
    suspecttimes varchar(8000) NULL,
    starttime    timestamptz  NOT NULL,
    iamalivetime timestamptz  NOT NULL,
    PRIMARY KEY (deploymentid, address, port, generation)
);

INSERT INTO orleansquery (querykey, querytext) VALUES
('InsertMembershipVersionKey',
 'WITH inserted AS (INSERT INTO orleansmembershipversiontable (deploymentid) VALUES (@DeploymentId)
                    ON CONFLICT (deploymentid) DO NOTHING RETURNING 1)
  SELECT count(*)::integer FROM inserted;'),
-- The version is bumped only when the row is new, so a failed insert leaves the table version as it was.
('InsertMembershipKey',
 'WITH bumped AS (UPDATE orleansmembershipversiontable SET version = version + 1, timestamp = now()
                  WHERE deploymentid = @DeploymentId AND version = @Version
                    AND NOT EXISTS (SELECT 1 FROM orleansmembershiptable
                                    WHERE deploymentid = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation)
                  RETURNING 1),
        inserted AS (INSERT INTO orleansmembershiptable
                         (deploymentid, address, port, generation, siloname, hostname, status, proxyport, starttime, iamalivetime)
                     SELECT @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime
                     WHERE EXISTS (SELECT 1 FROM bumped)
                     RETURNING 1)
  SELECT count(*)::integer FROM inserted;'),
('UpdateMembershipKey',
 'WITH bumped AS (UPDATE orleansmembershipversiontable SET version = version + 1, timestamp = now()
                  WHERE deploymentid = @DeploymentId AND version = @Version
                    AND EXISTS (SELECT 1 FROM orleansmembershiptable
                                WHERE deploymentid = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation)
                  RETURNING 1),
        updated AS (UPDATE orleansmembershiptable
                    SET status = @Status, suspecttimes = @SuspectTimes::varchar, iamalivetime = @IAmAliveTime
                    WHERE deploymentid = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
                      AND EXISTS (SELECT 1 FROM bumped)
                    RETURNING 1)
  SELECT count(*)::integer FROM updated;'),
-- Heartbeats do not change the version: they are not membership changes.
('UpdateIAmAlivetimeKey',
 'UPDATE orleansmembershiptable SET iamalivetime = @IAmAliveTime
  WHERE deploymentid = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation;'),
-- Reads answer the version row even when no silo is listed (the provider reads an absent StartTime as "no member").
('MembershipReadRowKey',
 'SELECT v.version, m.address, m.port, m.generation, m.siloname, m.hostname, m.status, m.proxyport, m.suspecttimes, m.starttime, m.iamalivetime
  FROM orleansmembershipversiontable v
  LEFT JOIN orleansmembershiptable m ON m.deploymentid = v.deploymentid
       AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
  WHERE v.deploymentid = @DeploymentId;'),
('MembershipReadAllKey',
 'SELECT v.version, m.address, m.port, m.generation, m.siloname, m.hostname, m.status, m.proxyport, m.suspecttimes, m.starttime, m.iamalivetime
  FROM orleansmembershipversiontable v
  LEFT JOIN orleansmembershiptable m ON m.deploymentid = v.deploymentid
  WHERE v.deploymentid = @DeploymentId;'),
('GatewaysQueryKey',
 'SELECT address, proxyport, generation FROM orleansmembershiptable
  WHERE deploymentid = @DeploymentId AND status = @Status AND proxyport > 0;'),
('DeleteMembershipTableEntriesKey',
 'DELETE FROM orleansmembershiptable WHERE deploymentid = @DeploymentId;
  DELETE FROM orleansmembershipversiontable WHERE deploymentid = @DeploymentId;'),
-- Dead silos (status 6) that have not been heard of since the cut-off.
('CleanupDefunctSiloEntriesKey',
 'DELETE FROM orleansmembershiptable
  WHERE deploymentid = @DeploymentId AND status = 6 AND iamalivetime < @IAmAliveTime;'),
('CleanupDefunctSiloEntryKey',
 'DELETE FROM orleansmembershiptable
  WHERE deploymentid = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation AND status = 6
    AND starttime = @StartTime AND iamalivetime = @IAmAliveTime;')
ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;
