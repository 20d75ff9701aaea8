/**
 * Following the log and a stream over HTTP: Server-Sent Events, long polling and WebSocket from
 * one component for Spring MVC. {@link dev.annals.web.EventFollowing} holds the shared poller and
 * the limits; {@link dev.annals.web.FollowRoutes} mounts paths. See docs/messaging.md,
 * "Following the log over HTTP".
 */
package dev.annals.web;
