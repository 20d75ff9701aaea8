/**
 * What the messaging transports share and applications must not use: the CloudEvents codec for
 * header-and-body transports, and the retrying hand-over of a message to the inbox. It may
 * change in any release.
 */
package dev.annals.messaging.internal;
