/**
 * Schema-described event payloads: Avro schemas registered per event type and version, checked
 * for compatibility with the versions already stored, and the payloads' binary encoding in
 * CloudEvents.
 */
package dev.annals.messaging.schemas;
