// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {PackedPausable} from "../access/PackedPausable.sol";
import {IRewardsDistributor} from "../interfaces/IRewardsDistributor.sol";

/**
 * @title RewardsDistributor
 * @notice Epoch reward claims against cumulative Merkle roots with a guarded activation delay.
 * See IRewardsDistributor.
 * @dev Gas: a claim reads one packed head slot (token, active and pending epochs, pending activation
 * time, pause flag), the root, and the account's claimed total; it writes only the claimed total.
 */
contract RewardsDistributor is IRewardsDistributor, PackedPausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice May revoke a pending root (and nothing else).
    bytes32 public constant ROOT_REVOKER_ROLE = keccak256("ROOT_REVOKER_ROLE");

    uint64 public constant MIN_ACTIVATION_DELAY = 1 hours;
    uint64 public constant MAX_ACTIVATION_DELAY = 30 days;
    /// @notice Highest epoch number (epochs are stored in 24 bits so the head slot also holds the pause flag).
    uint32 public constant MAX_EPOCH = type(uint24).max;

    /// @dev Everything a claim needs to find its root, and the pause flag, in one slot (the flag kept
    /// here rather than in OpenZeppelin's own slot, which would be one more cold read per claim).
    struct Head {
        address rewardToken;
        /// @dev Last root known activated (promoted when the next root is published).
        uint24 activeEpoch;
        /// @dev Root published and not yet promoted (0: none); claimable once pendingActivatesAt has passed.
        uint24 pendingEpoch;
        /// @dev Unix seconds; 32 bits last until 2106.
        uint32 pendingActivatesAt;
        bool paused;
    }

    struct Root {
        bytes32 root;
        uint128 totalCumulative;
        uint64 activatesAt;
        bool revoked;
    }

    /// @custom:storage-location erc7201:ssi.storage.RewardsDistributor
    struct RewardsDistributorStorage {
        Head head;
        uint64 activationDelay;
        uint256 totalFunded;
        mapping(uint32 epoch => Root) roots;
        mapping(address account => uint256) claimed;
        mapping(address account => mapping(address claimer => bool)) claimers;
        /// @dev Paid to all accounts in all; bounded by the claimable root's total.
        uint256 totalClaimed;
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.RewardsDistributor")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant REWARDS_DISTRIBUTOR_STORAGE_LOCATION =
        0x3d425ac0cdbf6e69084ffe9deeb27e6816aa3559551ee3f333eb39bb8c1aa000;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IRewardsDistributor
    function initialize(address admin, address rewardToken_, uint64 activationDelay_) external initializer {
        if (rewardToken_ == address(0)) revert ZeroAddress();
        __ProtocolUpgradeable_init(admin);
        _grantRole(ROOT_REVOKER_ROLE, admin);
        _getRewardsDistributorStorage().head.rewardToken = rewardToken_;
        _setActivationDelay(activationDelay_);
    }

    /// @inheritdoc IRewardsDistributor
    function publishRoot(uint32 epoch, bytes32 root, uint256 totalCumulative)
        external
        onlyRole(OPERATOR_ROLE)
        whenNotPaused
    {
        if (root == bytes32(0)) revert ZeroRoot();
        if (epoch > MAX_EPOCH) revert EpochOutOfRange(epoch, MAX_EPOCH);
        RewardsDistributorStorage storage $ = _getRewardsDistributorStorage();
        Head memory head = $.head;
        if (head.pendingEpoch != 0) {
            if (block.timestamp < head.pendingActivatesAt) revert RootPending(head.pendingEpoch, head.pendingActivatesAt);
            head.activeEpoch = head.pendingEpoch;
        }
        // The next epoch only: a root far ahead (up to MAX_EPOCH) would leave no epoch for the roots after it.
        // Cannot overflow: activeEpoch fits 24 bits.
        uint32 expected = uint32(head.activeEpoch) + 1;
        if (head.activeEpoch == 0 ? epoch == 0 : epoch != expected) revert EpochNotNext(epoch, expected);
        uint256 previousTotal = $.roots[head.activeEpoch].totalCumulative;
        if (totalCumulative < previousTotal) revert TotalCumulativeDecreased(previousTotal, totalCumulative);
        uint256 funded = $.totalFunded;
        if (totalCumulative > funded) revert RewardsUnderfunded(totalCumulative, funded);

        uint64 activatesAt = SafeCast.toUint64(block.timestamp + $.activationDelay);
        // Safe: epoch <= MAX_EPOCH, checked above.
        head.pendingEpoch = uint24(epoch);
        head.pendingActivatesAt = SafeCast.toUint32(activatesAt);
        $.head = head;
        $.roots[epoch] = Root({
            root: root,
            totalCumulative: SafeCast.toUint128(totalCumulative),
            activatesAt: activatesAt,
            revoked: false
        });
        emit RootPublished(epoch, root, totalCumulative, activatesAt);
    }

    /// @inheritdoc IRewardsDistributor
    function revokeRoot(uint32 epoch) external onlyRole(ROOT_REVOKER_ROLE) {
        RewardsDistributorStorage storage $ = _getRewardsDistributorStorage();
        Head storage head = $.head;
        if (epoch == 0 || epoch != head.pendingEpoch || block.timestamp >= head.pendingActivatesAt) {
            revert RootNotRevocable(epoch);
        }
        head.pendingEpoch = 0;
        head.pendingActivatesAt = 0;
        Root storage revoked = $.roots[epoch];
        revoked.revoked = true;
        emit RootRevoked(epoch, revoked.root, msg.sender);
    }

    /// @inheritdoc IRewardsDistributor
    function claim(address account, uint256 cumulativeAmount, bytes32[] calldata proof)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 amount)
    {
        RewardsDistributorStorage storage $ = _getRewardsDistributorStorage();
        if (msg.sender != account && !$.claimers[account][msg.sender]) revert UnauthorizedClaimer(account, msg.sender);
        Head memory head = $.head;
        uint32 epoch = _claimableEpoch(head);
        if (epoch == 0) revert NoClaimableRoot();
        if (!MerkleProof.verifyCalldata(proof, $.roots[epoch].root, _leaf(account, cumulativeAmount))) {
            revert InvalidProof(account, cumulativeAmount, epoch);
        }
        uint256 alreadyClaimed = $.claimed[account];
        if (cumulativeAmount <= alreadyClaimed) revert NothingToClaim(account, cumulativeAmount, alreadyClaimed);
        // Safe: cumulativeAmount > alreadyClaimed, checked above.
        unchecked {
            amount = cumulativeAmount - alreadyClaimed;
        }
        uint256 paid = $.totalClaimed + amount;
        uint256 rootTotal = $.roots[epoch].totalCumulative;
        if (paid > rootTotal) revert RootOverdrawn(epoch, rootTotal, paid - amount, amount);
        $.totalClaimed = paid;
        $.claimed[account] = cumulativeAmount;
        emit Claimed(account, msg.sender, epoch, amount, cumulativeAmount);
        IERC20(head.rewardToken).safeTransfer(account, amount);
    }

    /// @inheritdoc IRewardsDistributor
    function setClaimer(address claimer, bool approved) external {
        if (claimer == address(0)) revert ZeroAddress();
        _getRewardsDistributorStorage().claimers[msg.sender][claimer] = approved;
        emit ClaimerSet(msg.sender, claimer, approved);
    }

    /// @inheritdoc IRewardsDistributor
    function fund(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        RewardsDistributorStorage storage $ = _getRewardsDistributorStorage();
        uint256 total = $.totalFunded + amount;
        $.totalFunded = total;
        emit Funded(msg.sender, amount, total);
        IERC20($.head.rewardToken).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IRewardsDistributor
    function setActivationDelay(uint64 delay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setActivationDelay(delay);
    }

    /// @inheritdoc PausableUpgradeable
    function paused() public view override returns (bool) {
        return _getRewardsDistributorStorage().head.paused;
    }

    /// @inheritdoc IRewardsDistributor
    function rewardToken() external view returns (address) {
        return _getRewardsDistributorStorage().head.rewardToken;
    }

    /// @inheritdoc IRewardsDistributor
    function activationDelay() external view returns (uint64) {
        return _getRewardsDistributorStorage().activationDelay;
    }

    /// @inheritdoc IRewardsDistributor
    function totalFunded() external view returns (uint256) {
        return _getRewardsDistributorStorage().totalFunded;
    }

    /// @inheritdoc IRewardsDistributor
    function claimedOf(address account) external view returns (uint256) {
        return _getRewardsDistributorStorage().claimed[account];
    }

    /// @inheritdoc IRewardsDistributor
    function totalClaimed() external view returns (uint256) {
        return _getRewardsDistributorStorage().totalClaimed;
    }

    /// @inheritdoc IRewardsDistributor
    function isClaimer(address account, address claimer) external view returns (bool) {
        return _getRewardsDistributorStorage().claimers[account][claimer];
    }

    /// @inheritdoc IRewardsDistributor
    function claimableRoot() external view returns (uint32 epoch, bytes32 root) {
        RewardsDistributorStorage storage $ = _getRewardsDistributorStorage();
        epoch = _claimableEpoch($.head);
        if (epoch != 0) root = $.roots[epoch].root;
    }

    /// @inheritdoc IRewardsDistributor
    function pendingRoot() external view returns (uint32 epoch, bytes32 root, uint64 activatesAt) {
        RewardsDistributorStorage storage $ = _getRewardsDistributorStorage();
        epoch = $.head.pendingEpoch;
        if (epoch != 0 && block.timestamp < $.head.pendingActivatesAt) {
            Root storage pending = $.roots[epoch];
            return (epoch, pending.root, pending.activatesAt);
        }
        return (0, bytes32(0), 0);
    }

    /// @inheritdoc IRewardsDistributor
    function rootOf(uint32 epoch) external view returns (EpochRoot memory) {
        Root storage stored = _getRewardsDistributorStorage().roots[epoch];
        return EpochRoot({
            root: stored.root,
            totalCumulative: stored.totalCumulative,
            activatesAt: stored.activatesAt,
            revoked: stored.revoked
        });
    }

    /// @inheritdoc IRewardsDistributor
    function leafOf(address account, uint256 cumulativeAmount) external pure returns (bytes32) {
        return _leaf(account, cumulativeAmount);
    }

    function _setActivationDelay(uint64 delay) private {
        if (delay < MIN_ACTIVATION_DELAY || delay > MAX_ACTIVATION_DELAY) {
            revert ActivationDelayOutOfBounds(delay, MIN_ACTIVATION_DELAY, MAX_ACTIVATION_DELAY);
        }
        RewardsDistributorStorage storage $ = _getRewardsDistributorStorage();
        uint64 previous = $.activationDelay;
        $.activationDelay = delay;
        emit ActivationDelayUpdated(previous, delay);
    }

    /// @dev The pause flag lives in the head slot (see PackedPausable).
    function _storePaused(bool value) internal override {
        _getRewardsDistributorStorage().head.paused = value;
    }

    /// @dev The pending root once activated, else the last activated one (0: none yet).
    function _claimableEpoch(Head memory head) private view returns (uint32) {
        if (head.pendingEpoch != 0 && block.timestamp >= head.pendingActivatesAt) return head.pendingEpoch;
        return head.activeEpoch;
    }

    /**
     * @dev OpenZeppelin StandardMerkleTree leaf for ['address', 'uint256'], i.e.
     * keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount)))), hashed in scratch space
     * (0x00-0x3f, free for temporary use) instead of allocating two memory buffers on every claim.
     */
    function _leaf(address account, uint256 cumulativeAmount) private pure returns (bytes32 leaf) {
        assembly ("memory-safe") {
            mstore(0x00, and(account, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(0x20, cumulativeAmount)
            mstore(0x00, keccak256(0x00, 0x40))
            leaf := keccak256(0x00, 0x20)
        }
    }

    function _getRewardsDistributorStorage() private pure returns (RewardsDistributorStorage storage $) {
        assembly {
            $.slot := REWARDS_DISTRIBUTOR_STORAGE_LOCATION
        }
    }
}
