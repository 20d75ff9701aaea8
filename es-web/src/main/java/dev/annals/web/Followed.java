package dev.annals.web;

/**
 * An event on its way to followers, already written as CloudEvents JSON (once, however many
 * followers get it).
 *
 * @param position its global position: the resume token clients send back
 * @param version its version within its stream
 * @param json the CloudEvent, structured-mode JSON on one line
 */
record Followed(long position, long version, String json) {}
