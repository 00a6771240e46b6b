package dev.moeserve.model.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * Checksum, size and parameter count of one file of a bundle.
 *
 * @param sha256     SHA-256 of the file content, 64 lower-case hex digits
 * @param bytes      file size in bytes
 * @param parameters model parameters stored in the file, 0 where that does not apply
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"sha256", "bytes", "parameters"})
public record FileEntry(String sha256, long bytes, long parameters) {
}
