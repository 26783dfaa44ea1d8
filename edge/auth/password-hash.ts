export * from '../../cloud-sync/protocol/password-hash.js';
