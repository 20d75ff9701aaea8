package dev.annals.console;

import dev.annals.core.AnnalsException;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every error as RFC 9457 problem JSON: Spring MVC's own (bad JSON, a parameter of the wrong
 * type, an unknown path) through {@link ResponseEntityExceptionHandler}, the console's refusals,
 * and the runner's and the store's exceptions, with one line and never a stack trace.
 */
@RestControllerAdvice
class ConsoleErrors extends ResponseEntityExceptionHandler {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  @ExceptionHandler(Refusal.class)
  ResponseEntity<ProblemDetail> refusal(Refusal e) {
    return problem(e.status(), e.title(), e.getMessage());
  }

  /** The runner's checks: an unknown dead letter or projector, a bad position. */
  @ExceptionHandler(IllegalArgumentException.class)
  ResponseEntity<ProblemDetail> badArgument(IllegalArgumentException e) {
    return problem(HttpStatus.BAD_REQUEST, "bad request", Checks.shorten(e.getMessage()));
  }

  /** The runner refuses in this state: a retired version, a dead letter not open any more. */
  @ExceptionHandler(IllegalStateException.class)
  ResponseEntity<ProblemDetail> badState(IllegalStateException e) {
    return problem(HttpStatus.CONFLICT, "conflict", Checks.shorten(e.getMessage()));
  }

  /**
   * The store or the runner failed: 503 when trying again may help (the database is away), else
   * 409 (a projector's reset callback refused, a schema is missing), with the one-line reason.
   */
  @ExceptionHandler(AnnalsException.class)
  ResponseEntity<ProblemDetail> failed(AnnalsException e) {
    if (e.isRetryable()) {
      return problem(HttpStatus.SERVICE_UNAVAILABLE, "store unavailable", Checks.shorten(e.getMessage()));
    }
    return problem(HttpStatus.CONFLICT, "refused by the store or the runner", Checks.shorten(e.getMessage()));
  }

  private static ResponseEntity<ProblemDetail> problem(HttpStatus status, String title, String detail) {
    ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
    p.setTitle(title);
    p.setType(URI.create("about:blank"));
    return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(p);
  }

  /** For the security filters, which answer before Spring MVC. */
  void writeProblem(HttpServletResponse response, HttpStatus status, String title, String detail) throws IOException {
    ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
    p.setTitle(title);
    response.setStatus(status.value());
    response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
    response.getWriter().write(JSON.writeValueAsString(p));
  }
}
