import AsyncHTTPClient
import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
import Glibc
#endif

/// Maps the errors of async-http-client, NIO and NIOSSL to `DuoFailure` kinds.
enum DuoTransportErrors {
    static func classify(_ error: any Error, host: String, port: Int, path: String) -> DuoFailure {
        let place = "\(host):\(port) (\(path))"
        if let failure = error as? DuoFailure { return failure }
        // Duo answered, with more than any answer of Duo's: nonsense, refused in every failmode.
        // Counted as a transport failure, failmode=safe would let the login through.
        if let tooBig = error as? ResponseAccumulator.ResponseTooBigError {
            return DuoFailure(
                .unreadableBody,
                diagnostic: "Duo at \(place) answered with a body over \(tooBig.maxBodySize) bytes; Duo's answers are a few hundred (is a proxy in the way?)")
        }
        if let client = error as? HTTPClientError {
            switch client {
            case .connectTimeout, .deadlineExceeded, .readTimeout, .writeTimeout, .tlsHandshakeTimeout,
                 .httpProxyHandshakeTimeout, .getConnectionFromPoolTimeout:
                return DuoFailure(.timeout, diagnostic: "Duo at \(place) did not answer in time (\(client))")
            case .remoteConnectionClosed:
                return DuoFailure(.connectionReset, diagnostic: "Duo at \(place) closed the connection without answering")
            default:
                return DuoFailure(.transport, diagnostic: "request to Duo at \(place) failed: \(client)")
            }
        }
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return DuoFailure(.tls, diagnostic: "TLS with Duo at \(place) failed: \(error) (check http_ca_certs_file and api_host)")
        }
        if let connection = error as? NIOConnectionError {
            if connection.dnsAError != nil || connection.dnsAAAAError != nil, connection.connectionErrors.isEmpty {
                return DuoFailure(.dns, diagnostic: "the name \(host) did not resolve")
            }
            if let first = connection.connectionErrors.first?.error {
                return classify(first, host: host, port: port, path: path)
            }
        }
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED:
                return DuoFailure(.connectionRefused, diagnostic: "Duo at \(place) refused the connection")
            case ECONNRESET, EPIPE:
                return DuoFailure(.connectionReset, diagnostic: "Duo at \(place) reset the connection")
            case ETIMEDOUT:
                return DuoFailure(.timeout, diagnostic: "connecting to Duo at \(place) timed out")
            default:
                return DuoFailure(.transport, diagnostic: "request to Duo at \(place) failed: \(io)")
            }
        }
        if let channel = error as? ChannelError {
            switch channel {
            case .connectTimeout: return DuoFailure(.timeout, diagnostic: "connecting to Duo at \(place) timed out")
            case .ioOnClosedChannel, .outputClosed, .inputClosed, .eof, .alreadyClosed:
                return DuoFailure(.connectionReset, diagnostic: "Duo at \(place) closed the connection")
            default: return DuoFailure(.transport, diagnostic: "request to Duo at \(place) failed: \(channel)")
            }
        }
        if error is SocketAddressError {
            return DuoFailure(.dns, diagnostic: "the name \(host) did not resolve: \(error)")
        }
        return DuoFailure(.transport, diagnostic: "request to Duo at \(place) failed: \(String(reflecting: error))")
    }
}
