package dev.annals.postgres.archive;

import dev.annals.core.StreamId;
import java.time.Instant;
import java.util.Objects;

/**
 * The tombstone of an archived stream: its head when it was archived and where its archive is.
 *
 * @param streamId the stream
 * @param version its last version
 * @param headHash the link hash of its last event, in hexadecimal
 * @param fileDigest SHA-256 of the archive file, in hexadecimal
 * @param location where the archive file is, as the sink named it
 * @param archivedAt when it was archived
 * @param archivedBy the login that archived it and the role it acted as ({@code "deployer as bank_owner"})
 */
public record ArchivedStream(StreamId streamId, long version, String headHash, String fileDigest, String location,
    Instant archivedAt, String archivedBy) {

  public ArchivedStream {
    Objects.requireNonNull(streamId, "streamId");
    Objects.requireNonNull(headHash, "headHash");
    Objects.requireNonNull(fileDigest, "fileDigest");
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(archivedAt, "archivedAt");
    Objects.requireNonNull(archivedBy, "archivedBy");
  }
}
