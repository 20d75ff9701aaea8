package dev.annals.web;

import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Small socket send buffers for the test server, so that a client that stops reading makes the
 * server's writes block after kilobytes rather than megabytes.
 */
@Configuration(proxyBeanMethods = false)
class SmallBuffers {

  @Bean
  TomcatConnectorCustomizer smallSendBuffers() {
    return connector -> connector.setProperty("socket.txBufSize", "8192");
  }
}
