package dev.annals.console;

import java.io.IOException;
import java.security.Principal;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.MediaType;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * The console's JSON API (docs/console.md lists it). GETs need the viewer or operator role,
 * POSTs the operator role (see {@link ConsoleWebConfiguration}); each POST is recorded.
 */
@RestController
@RequestMapping(path = "/api", produces = MediaType.APPLICATION_JSON_VALUE)
class ConsoleApi implements DisposableBean {

  /** The body of an action: why it is done (required for a discard). */
  record Reason(String reason) {}

  /** The body of a replay: a position or a time, and why. */
  record Replay(String position, String time, String reason) {}

  /** The body of a stream retry. */
  record StreamRetry(String projector, String stream, String reason) {}

  private final Console console;
  private final Set<SseEmitter> live = new CopyOnWriteArraySet<>();
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "console-live");
    t.setDaemon(true);
    return t;
  });

  ConsoleApi(Console console) {
    this.console = console;
    ticker.scheduleWithFixedDelay(this::push, 1, 1, TimeUnit.SECONDS);
  }

  @GetMapping("/session")
  Map<String, Object> session(Authentication user, CsrfToken csrf) {
    String role = user.getAuthorities().stream().map(a -> a.getAuthority().replace("ROLE_", "").toLowerCase())
        .findFirst().orElse("none");
    return Map.of("user", user.getName(), "role", role, "standalone", console.standalone(),
        "csrfHeader", csrf.getHeaderName(), "csrfToken", csrf.getToken());
  }

  @GetMapping("/projectors")
  List<Views.Projector> projectors() {
    return console.projectors();
  }

  /** Server-Sent Events: a {@code status} event with the projectors' list every second. */
  @GetMapping(path = "/projectors/live", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  SseEmitter live() {
    SseEmitter emitter = new SseEmitter(300_000L);
    emitter.onCompletion(() -> live.remove(emitter));
    emitter.onTimeout(() -> live.remove(emitter));
    emitter.onError(e -> live.remove(emitter));
    live.add(emitter);
    send(emitter, console.projectors());
    return emitter;
  }

  private void push() {
    if (live.isEmpty()) {
      return;
    }
    List<Views.Projector> status;
    try {
      status = console.projectors();
    } catch (RuntimeException e) {
      return; // the store is away: the page keeps its last figures and the next tick tries again
    }
    live.forEach(emitter -> send(emitter, status));
  }

  private void send(SseEmitter emitter, List<Views.Projector> status) {
    try {
      emitter.send(SseEmitter.event().name("status").data(status, MediaType.APPLICATION_JSON));
    } catch (IOException | IllegalStateException e) {
      live.remove(emitter);
    }
  }

  @GetMapping("/projectors/versions")
  List<Views.Version> versions() {
    return console.versions();
  }

  @PostMapping("/projectors/{name}/versions/{version}/drop-tables")
  Views.DroppedTables dropTables(@PathVariable String name, @PathVariable int version,
      @RequestBody(required = false) Reason body, Principal user) {
    return console.dropTables(name, version, user.getName(), reason(body));
  }

  @PostMapping("/projectors/{name}/pause")
  Map<String, String> pause(@PathVariable String name, @RequestBody(required = false) Reason body, Principal user) {
    console.pause(name, user.getName(), reason(body));
    return Map.of("projector", name, "done", "pause");
  }

  @PostMapping("/projectors/{name}/resume")
  Map<String, String> resume(@PathVariable String name, @RequestBody(required = false) Reason body, Principal user) {
    console.resume(name, user.getName(), reason(body));
    return Map.of("projector", name, "done", "resume");
  }

  @GetMapping("/projectors/{name}/replay-plan")
  Views.ReplayPlan replayPlan(@PathVariable String name, @RequestParam(required = false) String position,
      @RequestParam(required = false) String time) {
    return console.replayPlan(name, position, time);
  }

  @PostMapping("/projectors/{name}/replay")
  Views.ReplayPlan replay(@PathVariable String name, @RequestBody(required = false) Replay body, Principal user) {
    Replay r = body == null ? new Replay(null, null, null) : body;
    return console.replay(name, r.position(), r.time(), user.getName(), r.reason());
  }

  @GetMapping("/dead-letters")
  List<Views.DeadLetterView> deadLetters(@RequestParam(required = false) String projector,
      @RequestParam(required = false) String stream) {
    return console.deadLetters(projector, stream);
  }

  @PostMapping("/dead-letters/{id}/retry")
  Views.RetryOutcome retry(@PathVariable long id, @RequestBody(required = false) Reason body, Principal user) {
    return console.retry(id, user.getName(), reason(body));
  }

  @PostMapping("/dead-letters/retry-stream")
  Views.RetryOutcome retryStream(@RequestBody(required = false) StreamRetry body, Principal user) {
    if (body == null || body.projector() == null || body.stream() == null) {
      throw Refusal.badRequest("a stream retry needs a projector and a stream");
    }
    return console.retryStream(body.projector(), body.stream(), user.getName(), body.reason());
  }

  @PostMapping("/dead-letters/{id}/discard")
  Map<String, Object> discard(@PathVariable long id, @RequestBody(required = false) Reason body, Principal user) {
    console.discard(id, user.getName(), reason(body));
    return Map.of("id", id, "done", "discard");
  }

  @GetMapping("/streams")
  List<Views.StreamSummary> streams(@RequestParam(defaultValue = "") String query) {
    return console.findStreams(query);
  }

  @GetMapping("/streams/{stream}/events")
  Views.EventPage events(@PathVariable String stream, @RequestParam(defaultValue = "1") long fromVersion,
      @RequestParam(defaultValue = "50") int limit) {
    return console.events(stream, fromVersion, limit);
  }

  @GetMapping("/streams/{stream}/state")
  Views.StateView state(@PathVariable String stream, @RequestParam(required = false) String version,
      @RequestParam(required = false) String position, @RequestParam(required = false) String time) {
    return console.state(stream, version, position, time);
  }

  @GetMapping("/streams/{stream}/integrity")
  Views.IntegrityReport streamIntegrity(@PathVariable String stream) {
    return console.verifyStream(stream);
  }

  @GetMapping("/log")
  List<Views.Event> around(@RequestParam long position, @RequestParam(defaultValue = "5") int before,
      @RequestParam(defaultValue = "5") int after) {
    return console.around(position, before, after);
  }

  @GetMapping("/integrity")
  Views.Integrity integrity() {
    return console.integrity();
  }

  @PostMapping("/integrity/verify")
  Views.Integrity verify(@RequestBody(required = false) Reason body, Principal user) {
    return console.startVerify(user.getName(), reason(body));
  }

  @GetMapping("/webhooks")
  List<Views.Webhook> webhooks() {
    return console.webhooks();
  }

  @GetMapping("/webhooks/{id}/pending")
  List<Views.Delivery> pending(@PathVariable String id, @RequestParam(defaultValue = "50") int limit) {
    return console.deliveries(id, limit);
  }

  @PostMapping("/webhooks/{id}/replay")
  Map<String, String> replayWebhook(@PathVariable String id, @RequestBody(required = false) Reason body,
      Principal user) {
    console.replayWebhook(id, user.getName(), reason(body));
    return Map.of("webhook", id, "done", "replay");
  }

  @GetMapping("/audit")
  List<Views.AuditEntry> audit(@RequestParam(defaultValue = "50") int limit) {
    return console.auditLog(limit);
  }

  private static String reason(Reason body) {
    return body == null ? null : body.reason();
  }

  @Override
  public void destroy() throws InterruptedException {
    ticker.shutdownNow();
    live.forEach(SseEmitter::complete);
    ticker.awaitTermination(10, TimeUnit.SECONDS);
  }
}
