"""A compromised-bucket world in moto for the S3 playbook's tests: a bucket open to the world
(public-read ACL, a policy letting anyone read and another account write), the CloudTrail
records of what was done to it, and the bucket's settings as boto3 reads them."""
import json

from botocore.exceptions import ClientError

ACCOUNT = "123456789012"  # moto's account
OUTSIDER = "arn:aws:sts::999988887777:assumed-role/Outsider/exfil"
INTRUDER = f"arn:aws:iam::{ACCOUNT}:user/intruder"

OWNER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::{bucket}/*"},
        {"Sid": "PartnerWrite", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
         "Action": "s3:PutObject", "Resource": "arn:aws:s3:::{bucket}/*"},
    ],
}


def owner_policy_text(bucket):
    # Written the way an owner might, with spacing S3 keeps: undo must give back these bytes.
    return json.dumps(OWNER_POLICY, indent=1).replace("{bucket}", bucket)


def make_public_bucket(boto, bucket="victim-data", region="us-east-1"):
    s3 = boto("s3", region_name=region)
    kwargs = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **kwargs)
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    s3.put_bucket_policy(Bucket=bucket, Policy=owner_policy_text(bucket))
    s3.put_object(Bucket=bucket, Key="customers.csv", Body=b"id,name\n1,alice\n")
    return s3


def bucket_state(s3, bucket):
    """Every setting the playbook may change, as boto3 sees it (None when not set)."""
    def read(call, key, missing):
        try:
            return call(Bucket=bucket)[key]
        except ClientError as e:
            if e.response["Error"]["Code"] == missing:
                return None
            raise
    acl = s3.get_bucket_acl(Bucket=bucket)
    return {
        "policy": read(s3.get_bucket_policy, "Policy", "NoSuchBucketPolicy"),
        "acl": {"Owner": acl["Owner"], "Grants": acl["Grants"]},
        "public_access_block": read(s3.get_public_access_block, "PublicAccessBlockConfiguration",
                                    "NoSuchPublicAccessBlockConfiguration"),
        "ownership": read(s3.get_bucket_ownership_controls, "OwnershipControls", "OwnershipControlsNotFoundError"),
        "versioning": s3.get_bucket_versioning(Bucket=bucket).get("Status"),
    }


def trail_record(event_name, bucket, identity, error=None, ip="203.0.113.9", time="2024-05-30T10:00:00Z"):
    record = {
        "eventVersion": "1.09", "eventTime": time, "eventSource": "s3.amazonaws.com", "eventName": event_name,
        "awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": "curl/8.0",
        "requestParameters": {"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com", "key": "customers.csv"},
        "responseElements": None, "eventID": f"{event_name}-{bucket}-{len(identity)}", "readOnly": event_name.startswith("Get"),
        "eventType": "AwsApiCall", "managementEvent": False, "recipientAccountId": ACCOUNT,
        "userIdentity": identity,
        "resources": [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/customers.csv"}],
    }
    if error:
        record.update({"errorCode": error, "errorMessage": "Access Denied"})
    return record


def write_trail(path, bucket):
    """A public read, a cross-account write, and a call that was denied; plus noise about another bucket."""
    anonymous = {"type": "AWSAccount", "principalId": "ANONYMOUS_PRINCIPAL", "accountId": "ANONYMOUS_PRINCIPAL"}
    outsider = {"type": "AssumedRole", "principalId": "AROAOUTSIDER:exfil", "arn": OUTSIDER, "accountId": "999988887777",
                "accessKeyId": "ASIAOUTSIDEREXAMPLE1"}
    intruder = {"type": "IAMUser", "principalId": "AIDAINTRUDER", "arn": INTRUDER, "accountId": ACCOUNT,
                "userName": "intruder", "accessKeyId": "AKIAINTRUDEREXAMPLE1"}
    records = [trail_record("GetObject", bucket, anonymous),
               trail_record("PutObject", bucket, outsider, ip="198.51.100.7"),
               trail_record("PutBucketPolicy", bucket, intruder, error="AccessDenied", ip="192.0.2.44"),
               trail_record("DeleteObject", "some-other-bucket", intruder)]
    path.write_text(json.dumps({"Records": records}))
    return path


def s3control(boto):
    """boto3's s3control client for moto: botocore puts the account id in front of the host
    (123456789012.127.0.0.1), which cannot resolve, so it is taken off before signing."""
    client = boto("s3control")

    def local_host(request, **_):
        request.url = request.url.replace(f"//{ACCOUNT}.", "//", 1)
    client.meta.events.register("before-sign.s3-control.*", local_host)
    return client
