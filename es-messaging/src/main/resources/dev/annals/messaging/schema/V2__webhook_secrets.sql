-- Annals messaging, schema version 2: webhook secrets are stored encrypted.
-- ${schema} is the target schema, as in version 1.

-- The signing secret of a subscription, sealed with AES-GCM under the application's
-- WebhookSecretKey ('aes-gcm:' followed by base64 of nonce and ciphertext). SQL cannot encrypt
-- without the key, so rows written under version 1 keep their plain text here until the
-- Webhooks builder, given the key, seals them on its next build().
ALTER TABLE ${schema}.webhook_subscriptions RENAME COLUMN secret TO sealed_secret;
COMMENT ON COLUMN ${schema}.webhook_subscriptions.sealed_secret IS
    'AES-GCM sealed signing secret (aes-gcm:<base64>); the key is held by the application';
