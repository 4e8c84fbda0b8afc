#!/usr/bin/env python3
"""Seeds a moto server with a small account that has been compromised, for the README demo:
a web server instance whose role credentials were used from outside, a CI user whose access key
leaked, and a bucket of customer exports the attacker listed."""
import argparse
import json

import boto3

REGION = "us-east-1"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint-url", required=True)
    args = parser.parse_args()

    def client(service):
        return boto3.client(service, region_name=REGION, endpoint_url=args.endpoint_url)

    ec2, iam, s3 = client("ec2"), client("iam"), client("s3")

    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    web_sg = ec2.create_security_group(GroupName="web", Description="web tier", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]

    iam.create_role(RoleName="web-server", AssumeRolePolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},'
        '"Action":"sts:AssumeRole"}]}'))
    iam.put_role_policy(RoleName="web-server", PolicyName="read-exports", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],'
        '"Resource":"*"}]}'))
    iam.create_instance_profile(InstanceProfileName="web-server")
    iam.add_role_to_instance_profile(InstanceProfileName="web-server", RoleName="web-server")

    instances = ec2.run_instances(
        ImageId=image, InstanceType="t3.micro", MinCount=2, MaxCount=2, SubnetId=subnet,
        SecurityGroupIds=[web_sg], IamInstanceProfile={"Name": "web-server"},
        BlockDeviceMappings=[{"DeviceName": "/dev/xvdb", "Ebs": {"VolumeSize": 20}}],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [
            {"Key": "Name", "Value": "web"}, {"Key": "team", "Value": "storefront"}]}])["Instances"]

    iam.create_user(UserName="ci-deployer")
    iam.put_user_policy(UserName="ci-deployer", PolicyName="deploy", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","ec2:Describe*"],"Resource":"*"}]}'))
    leaked_key = iam.create_access_key(UserName="ci-deployer")["AccessKey"]["AccessKeyId"]
    iam.create_access_key(UserName="ci-deployer")
    iam.create_user(UserName="alice")
    iam.create_access_key(UserName="alice")

    s3.create_bucket(Bucket="acme-customer-exports")
    for month in ("2026-09", "2026-10", "2026-11"):
        s3.put_object(Bucket="acme-customer-exports", Key=f"exports/{month}/customers.csv",
                      Body=b"id,email\n1,someone@example.com\n")
    # The attacker, with the leaked key, opened the bucket to anyone; GuardDuty saw it.
    s3.put_bucket_acl(Bucket="acme-customer-exports", ACL="public-read")
    s3.put_bucket_policy(Bucket="acme-customer-exports", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::acme-customer-exports/*"}]}))
    # What the demo acts on, for scripts/demo.sh to read (ids only, no secrets).
    print(json.dumps({"compromised_instance": instances[0]["InstanceId"], "leaked_key": leaked_key,
                      "s3_finding": bucket_finding("acme-customer-exports", leaked_key)}))


def bucket_finding(bucket, access_key):
    """The EventBridge event GuardDuty sends when a bucket policy grants anonymous access."""
    account, region, finding_id = "123456789012", "us-east-1", "c6c4c3b1d2e1f0a9b8c7d6e5f4a3b2c1"
    seen = "2026-12-04T03:12:44Z"
    return {
        "version": "0", "id": "0d9d4a1c-2c1b-4c8e-9a8e-5d7f3e2a1b00", "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty", "account": account, "time": seen, "region": region, "resources": [],
        "detail": {
            "schemaVersion": "2.0", "accountId": account, "region": region, "partition": "aws",
            "id": finding_id,
            "arn": f"arn:aws:guardduty:{region}:{account}:detector/12abc34d567e8fa901bc2d34e56789f0/finding/{finding_id}",
            "type": "Policy:S3/BucketAnonymousAccessGranted",
            "resource": {
                "resourceType": "S3Bucket",
                "accessKeyDetails": {"accessKeyId": access_key, "principalId": "AIDAEXAMPLECIDEPLOYER",
                                     "userType": "IAMUser", "userName": "ci-deployer"},
                "s3BucketDetails": [{"arn": f"arn:aws:s3:::{bucket}", "name": bucket, "type": "Destination",
                                     "createdAt": 1764633600.0, "owner": {"id": "75aa57f09aa0c8caeab4f8c24e99d10f"},
                                     "tags": []}]},
            "service": {
                "serviceName": "guardduty", "detectorId": "12abc34d567e8fa901bc2d34e56789f0",
                "action": {"actionType": "AWS_API_CALL", "awsApiCallAction": {
                    "api": "PutBucketPolicy", "serviceName": "s3.amazonaws.com", "callerType": "Remote IP",
                    "remoteIpDetails": {"ipAddressV4": "198.51.100.23",
                                        "country": {"countryName": "Netherlands"}}}},
                "resourceRole": "TARGET", "additionalInfo": {"sample": False}, "eventFirstSeen": seen,
                "eventLastSeen": seen, "archived": False, "count": 1},
            "severity": 8, "createdAt": seen, "updatedAt": seen,
            "title": f"Amazon S3 bucket {bucket} grants anonymous access.",
            "description": f"The bucket policy of {bucket} now allows anonymous access."}}


if __name__ == "__main__":
    main()
