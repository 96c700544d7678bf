-- Grain state (Orleans:Storage = postgres). Orleans 10 writes the binary payload only (its serializer is
-- configured per host); the json and xml columns stay for state written by other serializers' tools.
-- One row per grain and state, unique by its identity, so two
-- activations of one grain (a split brain) cannot both insert; the version makes updates optimistic.
CREATE TABLE IF NOT EXISTS orleansstorage
(
    serviceid              varchar(150) NOT NULL,
    graintypehash          integer      NOT NULL,
    graintypestring        varchar(512) NOT NULL,
    grainidhash            integer      NOT NULL,
    grainidn0              bigint       NOT NULL,
    grainidn1              bigint       NOT NULL,
    grainidextensionstring varchar(512) NOT NULL DEFAULT '',
    payloadbinary          bytea,
    payloadxml             xml,
    payloadjson            text,
    modifiedon             timestamp    NOT NULL,
    version                integer,
    PRIMARY KEY (serviceid, graintypehash, grainidhash, grainidn0, grainidn1, graintypestring, grainidextensionstring)
);

-- Returns the new version, or the version passed in when the write lost (Orleans then raises InconsistentStateException).
CREATE OR REPLACE FUNCTION writetostorage(
    _grainidhash integer, _grainidn0 bigint, _grainidn1 bigint, _graintypehash integer, _graintypestring varchar,
    _grainidextensionstring varchar, _serviceid varchar, _grainstateversion integer,
    _payloadbinary bytea, _payloadjson text, _payloadxml xml)
RETURNS TABLE(newgrainstateversion integer)
LANGUAGE plpgsql AS $$
DECLARE
    _extension varchar := coalesce(_grainidextensionstring, '');
    _written integer;
BEGIN
    IF _grainstateversion IS NULL THEN
        INSERT INTO orleansstorage AS s (serviceid, graintypehash, graintypestring, grainidhash, grainidn0, grainidn1,
                                         grainidextensionstring, payloadbinary, payloadjson, payloadxml, modifiedon, version)
        VALUES (_serviceid, _graintypehash, _graintypestring, _grainidhash, _grainidn0, _grainidn1,
                _extension, _payloadbinary, _payloadjson, _payloadxml, now() at time zone 'utc', 1)
        ON CONFLICT DO NOTHING
        RETURNING s.version INTO _written;
    ELSE
        UPDATE orleansstorage s
        SET payloadbinary = _payloadbinary, payloadjson = _payloadjson, payloadxml = _payloadxml,
            modifiedon = now() at time zone 'utc', version = s.version + 1
        WHERE s.serviceid = _serviceid AND s.graintypehash = _graintypehash AND s.graintypestring = _graintypestring
          AND s.grainidhash = _grainidhash AND s.grainidn0 = _grainidn0 AND s.grainidn1 = _grainidn1
          AND s.grainidextensionstring = _extension AND s.version = _grainstateversion
        RETURNING s.version INTO _written;
    END IF;
    RETURN QUERY SELECT coalesce(_written, _grainstateversion);
END
$$;

INSERT INTO orleansquery (querykey, querytext) VALUES
('WriteToStorageKey',
 'SELECT * FROM writetostorage(@GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString, @GrainIdExtensionString, @ServiceId, @GrainStateVersion, @PayloadBinary, NULL, NULL);'),
('ReadFromStorageKey',
 'SELECT payloadbinary, payloadxml, payloadjson, (now() at time zone ''utc''), version FROM orleansstorage
  WHERE serviceid = @ServiceId AND graintypehash = @GrainTypeHash AND graintypestring = @GrainTypeString
    AND grainidhash = @GrainIdHash AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1
    AND grainidextensionstring = coalesce(@GrainIdExtensionString, '''');'),
('ClearStorageKey',
 'UPDATE orleansstorage SET payloadbinary = NULL, payloadjson = NULL, payloadxml = NULL, version = version + 1
  WHERE serviceid = @ServiceId AND graintypehash = @GrainTypeHash AND graintypestring = @GrainTypeString
    AND grainidhash = @GrainIdHash AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1
    AND grainidextensionstring = coalesce(@GrainIdExtensionString, '''') AND version = @GrainStateVersion
  RETURNING version AS newgrainstateversion;')
ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;
