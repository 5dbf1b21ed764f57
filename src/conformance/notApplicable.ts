/**
 * Checklist rows that do not apply to what this project simulates, each with the reason. They appear in the
 * conformance report's test-free list. A row listed here must not also be claimed by a test.
 */
export const NOT_APPLICABLE: Readonly<Record<string, string>> = {
  'RFC8628-3.5-return-channel': 'Return channels are outside RFC 8628; the simulated CLI polls (the row says "document only").',
  'RFC8628-5.7-proximity': 'A CLI shows its code on screen; audio or BLE transmission is not simulated.',
  'RFC8628-6.2-alt-interaction': 'Other code-transmission methods are not simulated.',
  'RFC8628-5.6-own-device_code': 'A teaching note with no behaviour to test.',
  'RFC7009-5-auth-endpoint': 'Certificate validation happens in TLS, below the fetch boundary the simulator models.',
  'RFC9449-2-https': 'DPoP never replaces TLS: the simulated issuer and API are https URLs, and TLS itself lies below the fetch boundary the simulator models.',
};
