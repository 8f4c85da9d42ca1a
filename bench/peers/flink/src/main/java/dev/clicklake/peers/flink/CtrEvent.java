package dev.clicklake.peers.flink;

/** The fields of an event the CTR reads (core/ctr.ts CtrEventFields), as a Flink POJO. */
public class CtrEvent {
  public String eventId;
  public String eventType;
  public long eventTime;
  /** Null when the event names no campaign. */
  public String campaignId;
  public boolean quarantined;

  public CtrEvent() {}

  public CtrEvent(String eventId, String eventType, long eventTime, String campaignId, boolean quarantined) {
    this.eventId = eventId;
    this.eventType = eventType;
    this.eventTime = eventTime;
    this.campaignId = campaignId;
    this.quarantined = quarantined;
  }

  /** core/ctr.ts ctrContribution: ad_impression and ad_click naming a campaign, not quarantined. */
  public boolean counts() {
    return campaignId != null && !quarantined && ("ad_impression".equals(eventType) || "ad_click".equals(eventType));
  }

  public boolean isClick() {
    return "ad_click".equals(eventType);
  }
}
