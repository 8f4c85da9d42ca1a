package clicklake.peers.spark;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.spark.sql.api.java.UDF1;

/**
 * core/silver.ts userKey: HMAC-SHA256 of the UTF-8 user_id under the key, lower-case hex. One Mac per
 * deserialised copy of the function (Spark runs one task at a time here), built on first use.
 */
public final class UserKey implements UDF1<String, String> {
  private static final long serialVersionUID = 1L;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final byte[] key;
  private transient Mac mac;

  public UserKey(String key) {
    this.key = key.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String call(String userId) throws GeneralSecurityException {
    if (userId == null) return null;
    if (mac == null) {
      mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
    }
    byte[] digest = mac.doFinal(userId.getBytes(StandardCharsets.UTF_8));
    char[] out = new char[digest.length * 2];
    for (int i = 0; i < digest.length; i++) {
      out[2 * i] = HEX[(digest[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX[digest[i] & 0xf];
    }
    return new String(out);
  }
}
