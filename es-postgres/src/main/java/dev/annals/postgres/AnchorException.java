package dev.annals.postgres;

import dev.annals.core.AnnalsException;

/**
 * An anchor file or a key cannot be used: it cannot be read, is not in the anchor format, its
 * digest does not match its content, its signature does not verify, or a key is not an Ed25519
 * key of the expected encoding; or an anchor cannot be taken because a stored stream row is not
 * one the store writes. The message names the file or row and the problem, never a key's bytes.
 */
public final class AnchorException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  AnchorException(String message) {
    super(message);
  }

  AnchorException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
