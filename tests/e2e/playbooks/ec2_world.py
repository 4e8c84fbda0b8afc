"""A compromised-instance world in moto for the EC2 playbook's tests: a VPC with two subnets,
an instance with two volumes and an instance profile, in an Auto Scaling group, behind a
Classic ELB and an ALB target group. Also reads the state boto3 sees, for the checks."""
import json
import threading
import urllib.parse

from intercepting_proxy import intercepting_proxy

ROLE_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def image(ec2):
    return ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]


def network(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]
               for i, z in ((1, "a"), (2, "b"))]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    return vpc, [s["SubnetId"] for s in subnets], group


def launch(ec2, subnet, group, profile_arn=None, volumes=2, count=1):
    mappings = [{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8, "DeleteOnTermination": True}}]
    if volumes > 1:
        mappings.append({"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 4, "DeleteOnTermination": True}})
    kwargs = {"ImageId": image(ec2), "MinCount": count, "MaxCount": count, "SubnetId": subnet,
              "SecurityGroupIds": [group], "InstanceType": "t3.micro"}
    if volumes:
        kwargs["BlockDeviceMappings"] = mappings
    if profile_arn:
        kwargs["IamInstanceProfile"] = {"Arn": profile_arn}
    return [i["InstanceId"] for i in ec2.run_instances(**kwargs)["Instances"]]


def make_world(boto):
    ec2, iam, asg, elb, elbv2 = boto("ec2"), boto("iam"), boto("autoscaling"), boto("elb"), boto("elbv2")
    vpc, subnets, group = network(ec2)
    iam.create_role(RoleName="web-role", AssumeRolePolicyDocument=json.dumps(ROLE_TRUST))
    profile = iam.create_instance_profile(InstanceProfileName="web-profile")["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web-role")
    instance = launch(ec2, subnets[0], group, profile)[0]

    template = ec2.create_launch_template(LaunchTemplateName="web", LaunchTemplateData={
        "ImageId": image(ec2), "InstanceType": "t3.micro"})["LaunchTemplate"]["LaunchTemplateId"]
    asg.create_auto_scaling_group(AutoScalingGroupName="web-asg", LaunchTemplate={"LaunchTemplateId": template},
                                  MinSize=0, MaxSize=3, DesiredCapacity=0, VPCZoneIdentifier=",".join(subnets))
    asg.attach_instances(AutoScalingGroupName="web-asg", InstanceIds=[instance])

    elb.create_load_balancer(LoadBalancerName="web-classic", Subnets=subnets,
                             Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}])
    elb.register_instances_with_load_balancer(LoadBalancerName="web-classic", Instances=[{"InstanceId": instance}])
    elbv2.create_load_balancer(Name="web-alb", Subnets=subnets)
    target_group = elbv2.create_target_group(Name="web-tg", Protocol="HTTP", Port=80, VpcId=vpc,
                                             TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=target_group, Targets=[{"Id": instance, "Port": 80}])
    return {"ec2": ec2, "iam": iam, "asg": asg, "elb": elb, "elbv2": elbv2, "vpc": vpc, "subnets": subnets,
            "group": group, "instance": instance, "target_group": target_group}


def attribute(ec2, instance, name):
    key = name[0].upper() + name[1:]
    return ec2.describe_instance_attribute(InstanceId=instance, Attribute=name)[key]["Value"]


def instance_record(ec2, instance):
    return ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]


def eni_groups(ec2, instance):
    enis = ec2.describe_network_interfaces(
        Filters=[{"Name": "attachment.instance-id", "Values": [instance]}])["NetworkInterfaces"]
    return {e["NetworkInterfaceId"]: sorted(g["GroupId"] for g in e["Groups"]) for e in enis}


def groups_named(ec2, name):
    return ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"]


def case_snapshots(ec2, case):
    return ec2.describe_snapshots(Filters=[{"Name": "tag:firebreak:case", "Values": [case]}])["Snapshots"]


def asg_members(world):
    group = world["asg"].describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])["AutoScalingGroups"][0]
    return {i["InstanceId"] for i in group["Instances"]}


def classic_members(world):
    lb = world["elb"].describe_load_balancers(LoadBalancerNames=["web-classic"])["LoadBalancerDescriptions"][0]
    return {i["InstanceId"] for i in lb["Instances"]}


def target_members(world):
    health = world["elbv2"].describe_target_health(TargetGroupArn=world["target_group"])
    return {t["Target"]["Id"] for t in health["TargetHealthDescriptions"]
            if t.get("TargetHealth", {}).get("State") != "draining"}


def case_copies(ec2, case):
    return ec2.describe_volumes(Filters=[{"Name": "tag:firebreak:case", "Values": [case]},
                                         {"Name": "tag:firebreak:role", "Values": ["forensic-copy"]}])["Volumes"]


def subnet_acl(ec2, subnet):
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"]
    return acls[0]


# What AWS answers a throttled request: EC2's own error form, and the query services' form.
THROTTLED = {
    "ec2": (503, "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
                 "</Message></Error></Errors><RequestID>throttled</RequestID></Response>"),
    "query": (400, "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded"
                   "</Message></Error><RequestId>throttled</RequestId></ErrorResponse>"),
}


class ThrottlingProxy:
    """A loopback proxy in front of moto that answers the first `times` requests of each named
    operation as AWS does when throttling ({"ModifyNetworkInterfaceAttribute": "ec2"}), then
    passes everything through. `throttled` counts the refusals per operation. Use it with `with`:
    its value is the proxy's URL."""

    def __init__(self, target_url, operations, times=2):
        self.throttled = {name: 0 for name in operations}
        lock = threading.Lock()

        def answer(method, path, headers, body):
            action = urllib.parse.parse_qs(body.decode("latin-1")).get("Action", [""])[0]
            with lock:
                if action not in operations or self.throttled[action] >= times:
                    return None
                self.throttled[action] += 1
            return THROTTLED[operations[action]]

        self._proxy = intercepting_proxy(target_url, answer)

    def __enter__(self):
        return self._proxy.__enter__()

    def __exit__(self, *exc):
        return self._proxy.__exit__(*exc)
