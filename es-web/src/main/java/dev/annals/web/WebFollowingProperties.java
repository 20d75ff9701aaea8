package dev.annals.web;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code annals.web.*}: the limits of the auto-configured {@link EventFollowing}.
 *
 * @param maxFollowers the most followers open at once, of every path and kind
 * @param maxWait the longest {@code wait} a long poll may ask for
 * @param bufferSize how many events may wait for a streaming client before it is dropped
 * @param heartbeat how long a streaming connection may stay silent before a heartbeat
 * @param source the CloudEvents {@code source} of the events, when the application has no
 *     {@code CloudEventMapper} bean
 */
@ConfigurationProperties("annals.web")
public record WebFollowingProperties(
    @DefaultValue("200") int maxFollowers,
    @DefaultValue("30s") Duration maxWait,
    @DefaultValue("1000") int bufferSize,
    @DefaultValue("15s") Duration heartbeat,
    @DefaultValue("urn:annals:events") String source) {}
