package dev.annals.projections;

/**
 * Thrown by a side-effect handler when the system it talks to (a broker, an HTTP endpoint)
 * cannot be reached or did not confirm: no event is at fault. The projector records it as the
 * partition's last error, waits (its retry backoff, doubling up to the maximum) and tries the
 * same events again, without limit and without parking any of them, until the system is back or
 * the projector is stopped. The checkpoint does not move in the meantime; a
 * {@link ProjectionRunner#catchUp} on the calling thread waits as long, too.
 */
public final class TargetUnavailableException extends Exception {

  private static final long serialVersionUID = 1L;

  /**
   * @param message names the system and what failed, for the status' last error
   * @param cause the underlying failure, may be null
   */
  public TargetUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
