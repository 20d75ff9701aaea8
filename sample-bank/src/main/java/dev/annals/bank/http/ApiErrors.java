package dev.annals.bank.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.core.ConcurrencyConflictException;
import dev.annals.core.DomainException;
import dev.annals.postgres.archive.StreamArchivedException;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.StoreUnavailableException;
import dev.annals.core.internal.Redaction;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponse;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.NoHandlerFoundException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * Turns what the handlers throw, and what Spring MVC refuses before a handler runs (an unknown
 * path, a wrong method), into the API's problem details ({@link Problems}). An unexpected error
 * is logged with its trace and answered with a fixed 500 text: its message may name internals or
 * quote the request.
 */
@RestControllerAdvice
final class ApiErrors {

  private static final Logger LOG = LoggerFactory.getLogger(ApiErrors.class);

  private final ObjectMapper json;

  ApiErrors(ObjectMapper json) {
    this.json = json;
  }

  @ExceptionHandler(BankApi.ApiException.class)
  ResponseEntity<byte[]> refused(BankApi.ApiException e, HttpServletRequest request, HttpServletResponse response) {
    return answer(request, response, e);
  }

  @ExceptionHandler(StoreUnavailableException.class)
  ResponseEntity<byte[]> unavailable(StoreUnavailableException e, HttpServletRequest request,
      HttpServletResponse response) {
    return answer(request, response, new BankApi.ApiException(503, "store_unavailable", "the database cannot be "
        + "reached: " + BankApi.firstLine(e.getMessage()) + "; try again later"));
  }

  @ExceptionHandler(ConcurrencyConflictException.class)
  ResponseEntity<byte[]> conflict(ConcurrencyConflictException e, HttpServletRequest request,
      HttpServletResponse response) {
    // Every retry of the repository met a concurrent writer; the client may simply send again.
    Map<String, Object> details = new LinkedHashMap<>();
    if (e.expected() instanceof ExpectedVersion.Exactly exactly) {
      details.put("expectedVersion", exactly.version());
    }
    details.put("actualVersion", e.actualVersion());
    return answer(request, response, new BankApi.ApiException(409, "concurrency_conflict", e.getMessage(), details));
  }

  @ExceptionHandler(StreamArchivedException.class)
  ResponseEntity<byte[]> archived(StreamArchivedException e, HttpServletRequest request,
      HttpServletResponse response) {
    // Where the archive lies is the operator's business (a path, a bucket): not said here.
    return answer(request, response, new BankApi.ApiException(410, "stream_archived", "this part of the account's "
        + "history was archived (at version " + e.version() + "); the auditor can restore it"));
  }

  @ExceptionHandler(DomainException.class)
  ResponseEntity<byte[]> domain(DomainException e, HttpServletRequest request, HttpServletResponse response) {
    return answer(request, response, BankApi.refusal(e));
  }

  @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
  ResponseEntity<byte[]> method(HttpRequestMethodNotSupportedException e, HttpServletRequest request,
      HttpServletResponse response) {
    // Spring lists HEAD and OPTIONS, which it answers itself for every GET endpoint; the API names
    // the methods an endpoint is for.
    Set<String> allowed = new TreeSet<>();
    if (e.getSupportedHttpMethods() != null) {
      e.getSupportedHttpMethods().stream().filter(m -> !m.equals(HttpMethod.HEAD) && !m.equals(HttpMethod.OPTIONS))
          .forEach(m -> allowed.add(m.name()));
    }
    return answer(request, response, BankApi.methodNotAllowed(e.getMethod(), allowed));
  }

  @ExceptionHandler({NoHandlerFoundException.class, NoResourceFoundException.class})
  ResponseEntity<byte[]> unknownPath(Exception e, HttpServletRequest request, HttpServletResponse response) {
    return answer(request, response, BankApi.notFound(request.getRequestURI()));
  }

  @ExceptionHandler(Exception.class)
  ResponseEntity<byte[]> failed(Exception e, HttpServletRequest request, HttpServletResponse response) {
    if (e instanceof ErrorResponse refused && refused.getStatusCode().is4xxClientError()) {
      // What else Spring MVC refuses with a status of its own (a missing header, say): that
      // status, with a fixed text.
      int status = refused.getStatusCode().value();
      LOG.debug("{} {} refused by Spring MVC", request.getMethod(), request.getRequestURI(), e);
      return answer(request, response, new BankApi.ApiException(status, Problems.code(status),
          Problems.message(status)));
    }
    if (response.isCommitted()) {
      // A feed whose client went away, most likely: there is nobody to answer.
      LOG.debug("{} {} ended after its response started", request.getMethod(), request.getRequestURI(), e);
      return null;
    }
    LOG.error("{} {} failed", request.getMethod(), BankApi.printable(request.getRequestURI(), 200),
        Redaction.redacted(e));
    return answer(request, response, new BankApi.ApiException(500, "internal_error", Problems.message(500)));
  }

  private ResponseEntity<byte[]> answer(HttpServletRequest request, HttpServletResponse response,
      BankApi.ApiException e) {
    if (response.isCommitted()) {
      // The response (a feed) has started; the status can no longer change.
      return null;
    }
    return Problems.response(json, Problems.of(e.status, e.code, e.getMessage(), request.getRequestURI(), e.details));
  }
}
