export {
  BatchedUdpSocket, nativeUdpStatus, DEFAULT_BATCH, DEFAULT_MAX_DATAGRAM, DEFAULT_OUT_ENTRIES, DEFAULT_OUT_BYTES,
  DEFAULT_QUEUE_MAX, DEFAULT_QUEUE_BYTES, MAX_UDP_PAYLOAD,
  type BatchedUdpOptions, type DatagramHandler, type UdpPeer, type UdpStats,
} from './batched_socket.js'
