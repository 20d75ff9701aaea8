package dev.annals.messaging.webhooks;

import dev.annals.core.internal.Redaction;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.ManagedHttpClientConnectionFactory;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.impl.routing.SystemDefaultRoutePlanner;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.impl.io.DefaultHttpResponseParserFactory;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * Sends webhook POSTs with Apache HttpClient, connecting only to addresses {@link WebhookTargets}
 * accepted. The client resolves a host through {@link WebhookTargets#connectable}, which checks
 * the very answer the socket connects with, so a name whose DNS answer changes after the
 * dispatcher's check (rebinding) cannot move a request elsewhere; with HTTPS the certificate is
 * still verified against the URL's host name. Connections are pooled and kept alive between
 * requests. When the JVM's proxy settings send a URL through a proxy, the client connects to
 * the proxy, which resolves the host itself.
 *
 * <p>Redirects are not followed here (the dispatcher checks and follows each hop), nor are
 * requests retried. Safe to call from several threads; {@link #close} closes the connections, a
 * request in flight with them.
 */
final class WebhookClient implements AutoCloseable {

  /** What the receiver answered: the status and, for a redirect, where to. */
  record Reply(int status, Optional<String> location) {}

  /** Bounds a reply's head, which is held in memory: a receiver could otherwise send headers until the timeout. */
  private static final Http1Config HEADS = Http1Config.custom().setMaxLineLength(8 * 1024).setMaxHeaderCount(100)
      .build();
  /** A reply body up to this size is read so that the connection can be kept; a longer one is dropped. */
  private static final int MAX_DRAINED = 64 * 1024;

  private final Duration timeout;
  private final CloseableHttpClient http;
  /** Ends a request that outlives its timeout: socket timeouts bound each read, not the whole reply. */
  private final ScheduledThreadPoolExecutor deadlines;

  /**
   * @param timeout for one request, from connecting to the end of the reply's headers
   * @param tls trusted certificates and protocols (the JVM's default context in production)
   * @param threadName of the thread that ends late requests
   */
  WebhookClient(WebhookTargets targets, Duration timeout, SSLContext tls, String threadName) {
    this.timeout = timeout;
    Timeout t = Timeout.of(timeout);
    this.http = HttpClients.custom()
        .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
            .setConnectionFactory(ManagedHttpClientConnectionFactory.builder().http1Config(HEADS)
                // The strict parser: a reply that does not start with a status line is an error at
                // once, where the client's lenient default skips such lines and waits for more.
                .responseParserFactory(new DefaultHttpResponseParserFactory(HEADS)).build())
            .setDnsResolver(new CheckedResolver(targets))
            .setTlsSocketStrategy(new DefaultClientTlsStrategy(tls))
            .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(t).setSocketTimeout(t).build())
            .build())
        .setRoutePlanner(new ProxyRoutes())
        .setDefaultRequestConfig(RequestConfig.custom().setConnectionRequestTimeout(t).setResponseTimeout(t)
            .setRedirectsEnabled(false).setProtocolUpgradeEnabled(false).build())
        // The dispatcher follows redirects hop by hop, checking each, and retries with its backoff.
        .disableRedirectHandling()
        .disableAutomaticRetries()
        .disableCookieManagement()
        .disableContentCompression()
        .evictIdleConnections(TimeValue.ofMinutes(1))
        .build();
    this.deadlines = new ScheduledThreadPoolExecutor(1, r -> {
      Thread thread = new Thread(r, threadName);
      thread.setDaemon(true);
      return thread;
    });
    this.deadlines.setRemoveOnCancelPolicy(true);
  }

  /**
   * POSTs {@code body} to {@code target}.
   *
   * @throws IllegalArgumentException naming the URL, if its host now resolves to an address
   *     that is not a target (worded as {@link WebhookTargets#check} words it)
   * @throws SocketTimeoutException if the reply's headers did not arrive within the timeout
   * @throws IOException if no address accepts a connection, TLS fails, or the reply is not HTTP
   */
  Reply post(URI target, Map<String, String> headers, byte[] body) throws IOException {
    HttpPost request = new HttpPost(target);
    headers.forEach(request::addHeader);
    request.setEntity(new ByteArrayEntity(body, null));
    AtomicBoolean late = new AtomicBoolean();
    ScheduledFuture<?> deadline = deadlines.schedule(() -> {
      late.set(true);
      request.cancel();
    }, timeout.toNanos(), TimeUnit.NANOSECONDS);
    try {
      ClassicHttpResponse response = http.executeOpen(null, request, null);
      Header location = response.getFirstHeader("Location");
      Reply reply = new Reply(response.getCode(), Optional.ofNullable(location).map(Header::getValue));
      finish(request, response);
      return reply;
    } catch (WebhookTargets.RefusedAddress e) {
      throw new IllegalArgumentException("webhook URL " + Redaction.redact(target.toString()) + " resolves to "
          + e.refusal(), e);
    } catch (IOException e) {
      if (late.get() || e instanceof SocketTimeoutException) {
        SocketTimeoutException timedOut = new SocketTimeoutException("no reply within " + timeout.toMillis() + " ms");
        timedOut.initCause(e);
        throw timedOut;
      }
      throw e;
    } finally {
      deadline.cancel(false);
    }
  }

  /**
   * Reads the rest of a short reply, which puts the connection back in the pool for the next
   * request; a longer reply is not worth reading: its connection is dropped instead.
   */
  private static void finish(HttpPost request, ClassicHttpResponse response) {
    try (response) {
      HttpEntity entity = response.getEntity();
      if (entity == null) {
        return;
      }
      InputStream in = entity.getContent();
      byte[] buffer = new byte[8192];
      int drained = 0;
      int n;
      while ((n = in.read(buffer)) >= 0) {
        drained += n;
        if (drained > MAX_DRAINED) {
          request.cancel();
          return;
        }
      }
    } catch (IOException e) {
      // The reply's status is known; what follows it only decides whether the connection is kept.
      request.cancel();
    }
  }

  /** Closes the pooled connections, and a request in flight with them. */
  @Override
  public void close() {
    deadlines.shutdownNow();
    http.close(CloseMode.GRACEFUL);
  }

  /**
   * Resolves a host once and hands the client only addresses the target check accepts; a host
   * with any other address is refused, as the check refuses it.
   */
  private static final class CheckedResolver implements DnsResolver {
    private final WebhookTargets targets;

    CheckedResolver(WebhookTargets targets) {
      this.targets = targets;
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
      return targets.connectable(host).toArray(InetAddress[]::new);
    }

    @Override
    public String resolveCanonicalHostname(String host) {
      // Only authentication schemes that look up the server's name (Kerberos) ask; none is used.
      return host;
    }
  }

  /**
   * The JVM's proxy settings, with the proxy's own address looked up here: the proxy is the
   * operator's choice, not a subscriber's, so it does not go through the target check.
   */
  private static final class ProxyRoutes extends SystemDefaultRoutePlanner {
    ProxyRoutes() {
      super(null); // ProxySelector.getDefault() at each request, so a later setDefault counts
    }

    @Override
    protected HttpHost determineProxy(HttpHost target, HttpContext context) throws HttpException {
      HttpHost proxy = super.determineProxy(target, context);
      if (proxy == null || proxy.getAddress() != null) {
        return proxy;
      }
      InetSocketAddress resolved = new InetSocketAddress(proxy.getHostName(), proxy.getPort());
      if (resolved.isUnresolved()) {
        throw new HttpException("proxy host " + proxy.getHostName() + " does not resolve");
      }
      return new HttpHost(proxy.getSchemeName(), resolved.getAddress(), proxy.getHostName(), proxy.getPort());
    }
  }
}
