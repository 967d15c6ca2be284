package io.github.vertxsaga.platform.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * A member's proof, left in the cluster's shared map, that it holds a certificate of the deployment's CA: the
 * certificate, and the member's cluster node id signed with the certificate's key. Anyone may read it; only the key's
 * holder can make it, and it names one node id, so it cannot be copied onto another.
 *
 * @param certificatePem the member's certificate, PEM
 * @param signature      base64 of the node id signed with the certificate's key (SHA256withECDSA, or the key's own
 *                       algorithm for RSA)
 */
public record MemberAttestation(String certificatePem, String signature) {

  /** This node's attestation for {@code nodeId}, signed with the key in its TLS_KEY_FILE. */
  public static MemberAttestation sign(String nodeId, TlsSettings settings) {
    try {
      PrivateKey key = readKey(settings.keyFile());
      Signature signer = Signature.getInstance(algorithm(key.getAlgorithm()));
      signer.initSign(key);
      signer.update(nodeId.getBytes(StandardCharsets.UTF_8));
      return new MemberAttestation(Files.readString(settings.certFile(), StandardCharsets.US_ASCII),
          Base64.getEncoder().encodeToString(signer.sign()));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign this member's attestation with TLS_KEY_FILE " + settings.keyFile()
          + ": " + e.getMessage(), e);
    }
  }

  /**
   * True when one of {@code cas} signed the certificate, it is valid now, and its key signed {@code nodeId}; false
   * for anything else, including what does not parse (whatever another member wrote there).
   */
  public boolean provesMember(String nodeId, List<X509Certificate> cas) {
    try {
      X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(certificatePem.getBytes(StandardCharsets.US_ASCII)));
      certificate.checkValidity();
      if (!NodeCredentials.signedByOneOf(certificate, cas)) {
        return false;
      }
      Signature verifier = Signature.getInstance(algorithm(certificate.getPublicKey().getAlgorithm()));
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(nodeId.getBytes(StandardCharsets.UTF_8));
      return verifier.verify(Base64.getDecoder().decode(signature));
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  private static String algorithm(String keyAlgorithm) {
    return "RSA".equals(keyAlgorithm) ? "SHA256withRSA" : "SHA256withECDSA";
  }

  private static PrivateKey readKey(Path file) throws IOException {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser pem = new PEMParser(reader)) {
      Object read = pem.readObject();
      if (read instanceof PrivateKeyInfo info) {
        return new JcaPEMKeyConverter().getPrivateKey(info);
      }
      if (read instanceof org.bouncycastle.openssl.PEMKeyPair pair) {
        return new JcaPEMKeyConverter().getPrivateKey(pair.getPrivateKeyInfo());
      }
      throw new IOException(file + " holds no private key");
    }
  }
}
