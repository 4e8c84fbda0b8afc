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
    # What the demo acts on, for scripts/demo.sh to read (ids only, no secrets).
    print(json.dumps({"compromised_instance": instances[0]["InstanceId"], "leaked_key": leaked_key}))


if __name__ == "__main__":
    main()
